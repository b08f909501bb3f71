// `--metrics HOST:PORT`: Prometheus scrapes GET /metrics; the text is rendered per scrape by the caller.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface MetricsServer {
  /** `http://HOST:PORT/metrics`, with the port actually bound. */
  readonly url: string;
  close(): Promise<void>;
}

/** Prometheus' text exposition format. */
const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export async function startMetricsServer(host: string, port: number, render: () => string): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?", 1)[0];
    if (path !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found: Parallax serves /metrics\n");
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    let text: string;
    try {
      text = render();
    } catch (error) {
      res.writeHead(500, { "content-type": "text/plain" }).end(`${error instanceof Error ? error.message : String(error)}\n`);
      return;
    }
    res.writeHead(200, { "content-type": CONTENT_TYPE, "content-length": Buffer.byteLength(text) });
    res.end(req.method === "HEAD" ? undefined : text);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${shown}:${address.port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
