import { proxyUrl, proxyVariables } from '../http/proxy-for.js';
import { refuseSetting } from './refuse-setting.js';

/**
 * Checks the proxy variables the source and the webhook honour (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, either case:
 * http/proxy-for.ts) before anything is sent, and returns what a logger must scrub of them: each proxy's password and
 * `user:password`, as given and decoded. A value that is not an http:// or https:// URL (a scheme-less `host:port` is
 * http://) is one MC_CONFIG line naming the variable, showing nothing of a value that may hold a password.
 */
export function proxySecrets(env: NodeJS.ProcessEnv): string[] {
  const secrets: string[] = [];
  for (const name of proxyVariables) {
    const value = env[name];
    if (value === undefined || value.trim() === '') continue;
    const proxy = proxyUrl(value);
    if (proxy === undefined) refuseSetting(`${name} is not a URL (not shown: it may hold a password); set it to the proxy, e.g. http://proxy.example:3128`);
    if (proxy.protocol !== 'http:' && proxy.protocol !== 'https:') refuseSetting(`${name} names a ${proxy.protocol}// proxy; only http:// and https:// proxies are supported`);
    if (proxy.password === '') continue;
    for (const [user, password] of [[proxy.username, proxy.password], [safeDecode(proxy.username), safeDecode(proxy.password)]] as const) {
      secrets.push(password, `${user}:${password}`);
    }
  }
  return [...new Set(secrets)];
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
