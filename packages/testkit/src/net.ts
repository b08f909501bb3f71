// Small socket helpers shared by the test targets.
import { createServer, type Server } from "node:net";

/** Resolves once `server` listens on host:port (port 0 picks a free one); rejects on a listen error. */
export function onceListening(server: Server, port = 0, host = "127.0.0.1"): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      resolve();
    });
  });
}

/** Stops accepting, drops idle keep-alive connections and resolves when the server has closed. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close((err) => (err ? reject(err) : resolve()));
    const http = server as Server & { closeAllConnections?: () => void };
    http.closeAllConnections?.();
  });
}

/**
 * A TCP port that was free a moment ago on `host`. Racy by nature: prefer listening on port 0;
 * use this only for a child process (e.g. nats-server) that must be told its port.
 */
export async function freePort(host = "127.0.0.1"): Promise<number> {
  const server = createServer();
  await onceListening(server, 0, host);
  const address = server.address();
  await closeServer(server);
  if (address === null || typeof address === "string") throw new Error("no TCP address");
  return address.port;
}
