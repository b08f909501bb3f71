import { build, JsHistogram } from "hdr-histogram-js";

/** Bounds of every Parallax latency histogram (design.md §5): microseconds, 1 µs to 1 h, 3 significant digits. */
export const LOWEST_MICROS = 1;
export const HIGHEST_MICROS = 3_600_000_000;
export const SIGNIFICANT_DIGITS = 3;

/** A latency histogram in microseconds. The HdrHistogram behind it stays private to this package. */
export interface LatencyHistogram {
  /** Records one latency; never throws: below 1 µs (or not a number) counts as 1 µs, above 1 h as 1 h. */
  record(micros: number): void;
  readonly totalCount: number;
  reset(): void;
}

// Module-private link from the public wrapper to its HdrHistogram, so the hdr type never leaks into the API.
const HDR = new WeakMap<LatencyHistogram, JsHistogram>();

class HdrLatencyHistogram implements LatencyHistogram {
  readonly #hdr: JsHistogram;

  constructor(hdr: JsHistogram) {
    this.#hdr = hdr;
    HDR.set(this, hdr);
  }

  record(micros: number): void {
    this.#hdr.recordValue(clampMicros(micros));
  }

  get totalCount(): number {
    return this.#hdr.totalCount;
  }

  reset(): void {
    this.#hdr.reset();
  }
}

/** The hot path's only arithmetic: integral, within bounds, no exception. `!(x >= 1)` also catches NaN. */
export function clampMicros(micros: number): number {
  if (!(micros >= LOWEST_MICROS)) return LOWEST_MICROS;
  if (micros >= HIGHEST_MICROS) return HIGHEST_MICROS;
  return Math.round(micros);
}

/** A fresh hdr histogram with the Parallax bounds; 64-bit (float64, exact to 2^53) counts, pure JS. */
export function newHdr(): JsHistogram {
  const hdr = build({
    bitBucketSize: 64,
    autoResize: false,
    lowestDiscernibleValue: LOWEST_MICROS,
    highestTrackableValue: HIGHEST_MICROS,
    numberOfSignificantValueDigits: SIGNIFICANT_DIGITS,
    useWebAssembly: false,
  });
  // build() is typed as the Histogram interface; with useWebAssembly false it is always a JsHistogram.
  if (!(hdr instanceof JsHistogram)) throw new Error("hdr-histogram-js did not build a JS histogram");
  return hdr;
}

export function createLatencyHistogram(): LatencyHistogram {
  return new HdrLatencyHistogram(newHdr());
}

/** Wraps an hdr histogram built by this package (same bounds as `newHdr`). */
export function wrapHdr(hdr: JsHistogram): LatencyHistogram {
  return new HdrLatencyHistogram(hdr);
}

/** Package-internal: the hdr histogram behind a LatencyHistogram made here. */
export function hdrOf(h: LatencyHistogram): JsHistogram {
  const hdr = HDR.get(h);
  if (hdr === undefined) throw new TypeError("not a histogram made by @parallax/metrics (use createLatencyHistogram or decodeHistogram)");
  return hdr;
}

/** Adds every count of `from` into `into`; both share the Parallax bounds, so this is an exact index-wise sum. */
export function addHistogram(into: LatencyHistogram, from: LatencyHistogram): void {
  hdrOf(into).add(hdrOf(from));
}
