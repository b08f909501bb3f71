import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";

/**
 * Which targets an agent may send to, decided by the agent's own configuration, never by the
 * run it receives. A rule is an origin (`http://10.1.2.3:8080`: that scheme, host and port), an
 * address (`10.1.2.3`: any port) or a CIDR block (`10.0.0.0/8`). The check is on resolved
 * addresses, so a name cannot smuggle a target past an address rule. With no rules only
 * loopback is allowed.
 */
export interface TargetAllowlist {
  check(url: URL): Promise<TargetDecision>;
  readonly description: string;
}

/** Allowed with the addresses that were checked (the target connects to those only), or refused with why. */
export type TargetDecision = { readonly allowed: true; readonly addresses: readonly string[] } | { readonly allowed: false; readonly reason: string };

type Resolve = (host: string) => Promise<string[]>;

const resolveHost: Resolve = async (host) => {
  const bare = host.replace(/^\[|\]$/g, "");
  if (isIP(bare)) return [bare];
  return (await lookup(bare, { all: true })).map((a) => a.address);
};

interface OriginRule {
  readonly kind: "origin";
  readonly protocol: string;
  readonly port: string;
  readonly host: string;
}

export function parseAllowRule(text: string): OriginRule | { readonly kind: "block"; readonly list: BlockList } | { readonly error: string } {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return { error: `invalid --allow-target "${text}" (use an origin like http://10.1.2.3:8080, an address or a CIDR block)` };
    }
    return { kind: "origin", protocol: url.protocol, port: effectivePort(url), host: url.hostname };
  }
  const [address, bits] = text.split("/");
  const family = isIP(address ?? "");
  if (!address || family === 0) return { error: `invalid --allow-target "${text}" (use an origin like http://10.1.2.3:8080, an address or a CIDR block)` };
  const list = new BlockList();
  const type = family === 4 ? "ipv4" : "ipv6";
  if (bits === undefined) list.addAddress(address, type);
  else {
    const prefix = Number(bits);
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) return { error: `invalid prefix length in --allow-target "${text}"` };
    list.addSubnet(address, prefix, type);
  }
  return { kind: "block", list };
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet("127.0.0.0", 8, "ipv4");
LOOPBACK.addAddress("::1", "ipv6");

export function createTargetAllowlist(rules: readonly string[], resolve: Resolve = resolveHost): TargetAllowlist {
  const parsed = rules.map(parseAllowRule);
  const bad = parsed.find((r): r is { error: string } => "error" in r);
  if (bad) throw new Error(bad.error);
  const valid = parsed as Array<Exclude<ReturnType<typeof parseAllowRule>, { error: string }>>;
  return {
    description: rules.length ? rules.join(", ") : "loopback only",
    async check(url) {
      let addresses: string[];
      try {
        addresses = await resolve(url.hostname);
      } catch (error) {
        return { allowed: false, reason: `cannot resolve ${url.hostname}: ${(error as { code?: string }).code ?? String(error)}` };
      }
      const allowed = async (address: string): Promise<boolean> => {
        const type = isIP(address) === 6 ? "ipv6" : "ipv4";
        if (valid.length === 0) return LOOPBACK.check(address, type);
        for (const rule of valid) {
          if (rule.kind === "block" && rule.list.check(address, type)) return true;
          if (rule.kind === "origin" && rule.protocol === url.protocol && rule.port === effectivePort(url)) {
            const ruleAddresses = await resolve(rule.host).catch(() => [] as string[]);
            if (ruleAddresses.includes(address)) return true;
          }
        }
        return false;
      };
      for (const address of addresses) {
        if (!(await allowed(address))) {
          return { allowed: false, reason: `${url.hostname} resolves to ${address}, which this agent's allowlist (${rules.length ? rules.join(", ") : "loopback only"}) does not include` };
        }
      }
      return { allowed: true, addresses };
    },
  };
}

/** The port a URL without one connects to: gRPC's like HTTP's (grpc:// is HTTP/2 in the clear, grpcs:// over TLS). */
const DEFAULT_PORTS: Readonly<Record<string, string>> = Object.freeze({ "http:": "80", "https:": "443", "grpc:": "80", "grpcs:": "443" });

function effectivePort(url: URL): string {
  return url.port || (DEFAULT_PORTS[url.protocol] ?? "");
}
