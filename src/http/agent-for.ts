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
  /** The request options to add: the agent. */
  readonly options: { readonly agent: HttpAgent };
}

// One keep-alive pool per protocol, and per proxy and protocol, shared by every call. Idle sockets are unref'd by
// the agent (they never hold the process open) and honour the server's `Keep-Alive: timeout=` hint.
const agentOptions = { keepAlive: true, maxSockets: 16 };
const direct = { 'http:': new HttpAgent(agentOptions), 'https:': new HttpsAgent(agentOptions) } as const;
const proxied = new Map<string, HttpAgent>();

// Tunnels to https:// targets only. agent-base guesses "secure endpoint" from the call stack when options do not say,
// and names the socket pool by it; Node 22 and later register a new socket from a promise callback (no https frame),
// so it was pooled under an http name and never reused (a CONNECT per POST). This pool is https-only: say so.
class TunnelAgent extends HttpsProxyAgent<string> {
  override isSecureEndpoint(): boolean {
    return true;
  }
}

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
  // https-proxy-agent sends no server name for an IP address (SNI forbids one), so Node would check the certificate
  // against "localhost": it must name the address itself, as on a direct connection. The check goes on the agent (one
  // pool per address), not on each request: Node 22 and later give a request's own checkServerIdentity a pool of its
  // own, which would open a tunnel per POST. Set after construction, so it never applies to the proxy's own TLS.
  const address = target.hostname.replace(/^\[|\]$/g, '');
  const checksAddress = https && isIP(address) !== 0;
  const key = `${target.protocol} ${proxy.href}${checksAddress ? ` ${address}` : ''}`;
  let agent = proxied.get(key);
  if (agent === undefined) {
    agent = https ? new TunnelAgent(proxy.href, agentOptions) : new HttpProxyAgent(proxy, agentOptions);
    if (checksAddress) Object.assign((agent as HttpAgent & { options: object }).options, { checkServerIdentity: (_host: string, cert: PeerCertificate) => checkServerIdentity(address, cert) });
    proxied.set(key, agent);
  }
  const options = { agent };
  return { agent, proxy, options };
}

/** How a proxy is named in messages: its scheme, host and port, never its user or password. */
export function shownProxy(proxy: URL): string {
  return `${proxy.protocol}//${proxy.host}`;
}
