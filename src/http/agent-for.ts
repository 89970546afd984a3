import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { isIP } from 'node:net';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { HttpProxyAgent } from 'http-proxy-agent';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { proxyFor } from './proxy-for.js';

/** The agent a request goes through, and the proxy it goes by (undefined: a direct connection). */
export interface Route {
  readonly agent: HttpAgent;
  readonly proxy: URL | undefined;
  /** The request options to add: the agent, and for an https:// IP address through a proxy, whom its certificate must name. */
  readonly options: { readonly agent: HttpAgent; readonly checkServerIdentity?: (host: string, cert: PeerCertificate) => Error | undefined };
}

// One keep-alive pool per protocol, and per proxy and protocol, shared by every call. Idle sockets are unref'd by
// the agent (they never hold the process open) and honour the server's `Keep-Alive: timeout=` hint.
const agentOptions = { keepAlive: true, maxSockets: 16 };
const direct = { 'http:': new HttpAgent(agentOptions), 'https:': new HttpsAgent(agentOptions) } as const;
const proxied = new Map<string, HttpAgent>();

/**
 * The keep-alive agent for a request to `target` (http: or https:): direct, or through the proxy the environment names
 * for it as curl reads it (proxy-for.ts). An http:// target is sent to the proxy as an absolute-URI request
 * (http-proxy-agent), an https:// one through a CONNECT tunnel (https-proxy-agent); the proxy URL's user and password
 * become its Proxy-Authorization. `env` is read on each call. @default env process.env
 */
export function routeFor(target: URL, env: NodeJS.ProcessEnv = process.env): Route {
  const https = target.protocol === 'https:';
  const proxy = proxyFor(target, env);
  if (proxy === undefined) {
    const agent = https ? direct['https:'] : direct['http:'];
    return { agent, proxy, options: { agent } };
  }
  const key = `${target.protocol} ${proxy.href}`;
  let agent = proxied.get(key);
  if (agent === undefined) {
    agent = https ? new HttpsProxyAgent(proxy, agentOptions) : new HttpProxyAgent(proxy, agentOptions);
    proxied.set(key, agent);
  }
  // https-proxy-agent sends no server name for an IP address (SNI forbids one), so Node would check the certificate
  // against "localhost": it must name the address itself, as it must on a direct connection.
  const address = target.hostname.replace(/^\[|\]$/g, '');
  const options = https && isIP(address) !== 0 ? { agent, checkServerIdentity: (_host: string, cert: PeerCertificate) => checkServerIdentity(address, cert) } : { agent };
  return { agent, proxy, options };
}

/** How a proxy is named in messages: its scheme, host and port, never its user or password. */
export function shownProxy(proxy: URL): string {
  return `${proxy.protocol}//${proxy.host}`;
}
