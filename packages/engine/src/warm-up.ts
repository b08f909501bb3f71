import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Client } from "undici";

let warmed: Promise<void> | undefined;

/**
 * undici compiles its HTTP parser (WebAssembly) on the first connection, which stalls the event
 * loop for a few hundred ms. Doing that inside the measured run would make the first sends
 * late and open a burst of connections, so the agent pays it while preparing, once per process,
 * against a throwaway server on loopback: no target sees any of it.
 */
export function warmUpHttpClient(): Promise<void> {
  warmed ??= (async () => {
    const server = createServer((req, res) => {
      req.resume();
      res.end("ok");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const client = new Client(`http://127.0.0.1:${port}`);
    try {
      const response = await client.request({ method: "GET", path: "/" });
      await response.body.text();
    } finally {
      await client.close();
      await new Promise((resolve) => server.close(resolve));
    }
  })();
  return warmed;
}
