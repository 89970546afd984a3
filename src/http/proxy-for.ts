import { BlockList, isIP } from 'node:net';

/** The environment variables naming proxies, in the order they are looked up: lower case first, as curl does. */
export const proxyVariables = ['http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY'] as const;

/**
 * The proxy a request to `target` goes through, as curl picks it (DESIGN §3 "Reaching the receiver"), or undefined
 * for a direct connection: `http_proxy`/`HTTP_PROXY` for http://, `https_proxy`/`HTTPS_PROXY` for https://, else
 * `all_proxy`/`ALL_PROXY`; the lower-case name wins; an empty value is unset; a proxy without a scheme is http://.
 * `no_proxy`/`NO_PROXY` (noProxyMatches) turns the proxy off for the hosts it names. Pure: reads only `env`. An
 * unparsable proxy value is undefined here; config/proxy-settings.ts refuses it before anything is sent.
 */
export function proxyFor(target: URL, env: NodeJS.ProcessEnv): URL | undefined {
  const scheme = target.protocol.replace(/:$/, '');
  const value = first(env, `${scheme}_proxy`) ?? first(env, 'all_proxy');
  if (value === undefined) return undefined;
  if (noProxyMatches(target, first(env, 'no_proxy') ?? '')) return undefined;
  return proxyUrl(value);
}

/** A proxy variable's value as a URL (http:// when it names no scheme), or undefined when it is not one. */
export function proxyUrl(value: string): URL | undefined {
  const text = value.trim();
  try {
    return new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`);
  } catch {
    return undefined;
  }
}

/**
 * True when `noProxy` (comma- or space-separated) names `target`'s host, as curl reads it: `*` alone names every host;
 * an entry names its host and every subdomain (`example.com` and `.example.com` both name `a.example.com` and
 * `example.com`); an IP address names itself, and `10.0.0.0/8` (CIDR) the addresses inside; `host:port` names the host
 * on that port only (curl has no ports here; Go, Python and most tools do). Case does not matter.
 */
export function noProxyMatches(target: URL, noProxy: string): boolean {
  const host = target.hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();
  const port = Number(target.port || (target.protocol === 'https:' ? 443 : 80));
  const entries = noProxy.toLowerCase().split(/[\s,]+/).filter((entry) => entry !== '');
  if (entries.includes('*')) return true;
  return entries.some((entry) => {
    const { name, entryPort } = splitPort(entry);
    if (entryPort !== undefined && entryPort !== port) return false;
    const cidr = /^(.+)\/(\d{1,3})$/.exec(name);
    if (cidr !== null) return inSubnet(host, cidr[1] as string, Number(cidr[2]));
    const domain = name.replace(/^\*?\.+/, '').replace(/\.$/, '');
    return domain !== '' && (host === domain || host.endsWith(`.${domain}`));
  });
}

// An entry's name and port: `[::1]:8080`, `::1` (an IPv6 address has no port unless bracketed), `host:8080`, `host`.
function splitPort(entry: string): { name: string; entryPort?: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed !== null) return { name: bracketed[1] as string, ...(bracketed[2] === undefined ? {} : { entryPort: Number(bracketed[2]) }) };
  const withPort = /^([^:]+):(\d+)$/.exec(entry);
  return withPort === null ? { name: entry } : { name: withPort[1] as string, entryPort: Number(withPort[2]) };
}

function inSubnet(host: string, network: string, bits: number): boolean {
  const family = isIP(network);
  if (family === 0 || isIP(host) !== family) return false;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (bits > (family === 4 ? 32 : 128)) return false;
  const list = new BlockList();
  list.addSubnet(network, bits, type);
  return list.check(host, type);
}

// The first non-empty value of `name` in lower case, then upper case.
function first(env: NodeJS.ProcessEnv, name: string): string | undefined {
  for (const key of [name.toLowerCase(), name.toUpperCase()]) {
    const value = env[key];
    if (value !== undefined && value.trim() !== '') return value;
  }
  return undefined;
}
