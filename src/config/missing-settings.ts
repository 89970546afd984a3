import { readSecret } from './secrets.js';
import { refuseSetting } from './refuse-setting.js';

/** What a command needs of the required settings: the source (BASE_URL and the API key) and the webhook. */
export interface RequiredNeeds {
  readonly source: boolean;
  readonly webhook: boolean;
}

/** The flags that can stand in for a required setting. */
export interface RequiredFlags {
  readonly baseUrl?: string | undefined;
  readonly apiKeyFile?: string | undefined;
  readonly webhookUrl?: string | undefined;
  readonly source?: string | undefined;
}

/**
 * Refuses, in one MC_CONFIG line, a configuration missing two or more of the required settings (BASE_URL, the API
 * key, WEBHOOK_URL), naming every one and where it may come from, so one run tells a newcomer all there is to set
 * (DESIGN §5). With one missing it returns, and that setting's own line (config.ts) names it and an example.
 */
export function refuseMissingSettings(flags: RequiredFlags, env: NodeJS.ProcessEnv, needs: RequiredNeeds): void {
  const fromApi = needs.source && flags.source === undefined;
  const missing = [
    fromApi && blank(flags.baseUrl ?? env['BASE_URL']) ? "BASE_URL (or --base-url: the AnythingLLM server's root, e.g. http://localhost:3001)" : undefined,
    fromApi && flags.apiKeyFile === undefined && readSecret({ credential: 'api-key', envName: 'API_KEY' }, env) === undefined ? 'API_KEY (or --api-key-file, or the systemd credential api-key)' : undefined,
    needs.webhook && blank(flags.webhookUrl ?? env['WEBHOOK_URL']) ? 'WEBHOOK_URL (or --webhook-url: the memory webhook, e.g. https://memory.example/hook)' : undefined,
  ].filter((name) => name !== undefined);
  if (missing.length >= 2) refuseSetting(`${missing.length} settings are missing: ${missing.join('; ')} — set them in the environment (or /etc/memory-cron/env under systemd)`);
}

function blank(value: string | undefined): boolean {
  return value === undefined || value.trim() === '';
}
