// Decodes a Parallax report histogram with the reference HdrHistogram (Java) implementation and
// prints "totalCount p50 p99 max" in microseconds, so a test can compare it with report.json.
import java.nio.ByteBuffer;
import java.util.Base64;
import org.HdrHistogram.Histogram;

public class DecodeHistogram {
  public static void main(String[] args) throws Exception {
    byte[] bytes = Base64.getDecoder().decode(args[0]);
    Histogram h = Histogram.decodeFromCompressedByteBuffer(ByteBuffer.wrap(bytes), 0);
    System.out.println(h.getTotalCount() + " " + h.getValueAtPercentile(50) + " " + h.getValueAtPercentile(99) + " " + h.getMaxValue());
  }
}
