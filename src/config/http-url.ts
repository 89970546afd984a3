import { refuseSetting } from './refuse-setting.js';

/** How to name an http(s) URL setting in its error lines. */
export interface UrlSetting {
  /** The setting's name: BASE_URL, WEBHOOK_URL, HEALTHCHECK_URL. */
  readonly name: string;
  /** What to set it to, e.g. "the memory webhook, e.g. https://memory.example/hook". */
  readonly example: string;
  /** True when the whole URL is a secret (a ping URL's token): no error line shows any of it. @default false */
  readonly secret?: boolean;
  /** Where credentials go instead of the URL's user and password. */
  readonly credentialsHint?: string;
}

/**
 * Parses a URL setting: http:// or https://, with no user name or password (secrets put there would travel into
 * error lines); MC_CONFIG naming the setting otherwise, showing none of what may be secret in it.
 */
export function httpUrl(text: string, setting: UrlSetting): URL {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    refuseSetting(setting.secret === true ? `${setting.name} is not a URL (not shown: it holds a token); set it to ${setting.example}` : `${setting.name} ${JSON.stringify(withoutSecrets(text))} is not a URL; set it to ${setting.example}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    // "localhost:3001" parses with the scheme "localhost:": name what is wrong in the operator's terms, not the parser's.
    const shown = setting.secret === true ? '(not shown: it holds a token)' : JSON.stringify(withoutSecrets(text.trim()));
    refuseSetting(`${setting.name} ${shown} must start with http:// or https://; set it to ${setting.example}`);
  }
  if (url.username !== '' || url.password !== '') refuseSetting(`${setting.name} must not carry a user name or password (${url.protocol}//…@${url.host})${setting.credentialsHint === undefined ? '' : `; ${setting.credentialsHint}`}`);
  return url;
}

// A mistyped URL for an error line: what may hide a secret (user and password, query, fragment) left out.
function withoutSecrets(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:?\/*)?[^?#]*@/i, '$1…@').replace(/[?#].*$/s, '?…');
}
