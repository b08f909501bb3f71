// How a grpc:// or grpcs:// URL becomes a grpc-js channel: shared by the gRPC target and server
// reflection, so that pinned addresses and TLS behave the same for both.

import { InvalidInputError } from "@parallax/protocol";
import { credentials, type ChannelCredentials, type ChannelOptions } from "@grpc/grpc-js";
import { isIP } from "node:net";
import type { GrpcTlsOptions } from "./grpc-target.js";

/** A target that comes back is used again within this, as undici would on the next request. */
const MAX_RECONNECT_BACKOFF_MS = 1000;

export interface GrpcChannelOptions {
  /** `grpc://host:port` (HTTP/2 without TLS) or `grpcs://host:port` (TLS); no path. */
  readonly url: string;
  /** For `grpcs://`; without it, the system roots and the URL's host are used. */
  readonly tls?: GrpcTlsOptions;
  /** Connect only to these addresses (those an allowlist checked), whatever DNS answers later. */
  readonly addresses?: readonly string[];
  /** Largest response message accepted (grpc-js default 4 MiB). */
  readonly maxMessageBytes?: number;
}

export interface GrpcChannel {
  readonly target: string;
  readonly channelCredentials: ChannelCredentials;
  readonly channelOptions: ChannelOptions;
}

/**
 * The grpc-js target string, credentials and options for a `grpc://` or `grpcs://` URL. Errors
 * are put on `location`, or else on the target's `targets.<name>.url`.
 */
export function channelFor(options: GrpcChannelOptions & ({ readonly location: string } | { readonly name: string })): GrpcChannel {
  const location = "location" in options ? options.location : `targets.${options.name}.url`;
  const bad = (message: string) => new InvalidInputError([{ location, message }]);
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw bad(`"${options.url}" is not a URL; expected grpc://host:port or grpcs://host:port`);
  }
  const secure = url.protocol === "grpcs:";
  if (!secure && url.protocol !== "grpc:") throw bad(`"${options.url}" is not a gRPC URL; expected grpc://host:port or grpcs://host:port`);
  if ((url.pathname !== "" && url.pathname !== "/") || url.search !== "" || url.hash !== "") throw bad(`"${options.url}" has a path; a gRPC target is only grpc://host:port`);
  if (url.hostname === "") throw bad(`"${options.url}" has no host`);
  const port = url.port || (secure ? "443" : "80");
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  const authority = `${url.hostname}:${port}`;

  const channelOptions: Record<string, string | number> = {
    "grpc.enable_retries": 0,
    // Each target gets its own connections, even when two targets are the same address.
    "grpc.use_local_subchannel_pool": 1,
    "grpc.initial_reconnect_backoff_ms": 100,
    "grpc.max_reconnect_backoff_ms": MAX_RECONNECT_BACKOFF_MS,
  };
  if (options.maxMessageBytes !== undefined) channelOptions["grpc.max_receive_message_length"] = options.maxMessageBytes;
  let target = authority;
  const addresses = options.addresses ?? [];
  if (addresses.length > 0) {
    const families = new Set(addresses.map((address) => isIP(address)));
    if (families.has(0)) throw bad(`addresses must be IP addresses (got ${addresses.join(", ")})`);
    if (families.size > 1) throw bad(`addresses must all be IPv4 or all IPv6 (got ${addresses.join(", ")})`);
    const v6 = families.has(6);
    target = `${v6 ? "ipv6" : "ipv4"}:${addresses.map((address) => (v6 ? `[${address}]:${port}` : `${address}:${port}`)).join(",")}`;
    // The server still sees the URL's host, and TLS still checks it.
    channelOptions["grpc.default_authority"] = authority;
    if (secure && isIP(host) === 0) channelOptions["grpc.ssl_target_name_override"] = host;
    if (addresses.length > 1) channelOptions["grpc.service_config"] = JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] });
  }
  if (secure && options.tls?.serverName !== undefined) channelOptions["grpc.ssl_target_name_override"] = options.tls.serverName;
  const tls = options.tls;
  const channelCredentials = secure
    ? credentials.createSsl(tls?.ca ? Buffer.from(tls.ca) : null, tls?.key ? Buffer.from(tls.key) : null, tls?.cert ? Buffer.from(tls.cert) : null)
    : credentials.createInsecure();
  return { target, channelCredentials, channelOptions };
}
