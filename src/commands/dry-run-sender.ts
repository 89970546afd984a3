import type { SendWebhookBody } from '../delivery/webhook-sender.js';
import { writeAllSync } from '../log/write-sync.js';

/** The `send` of `--dry-run`: prints each webhook body (conversation or retraction) as one NDJSON line on `fd` (stdout) and calls it accepted. */
export function dryRunSender(fd = 1): SendWebhookBody {
  return async (body) => {
    writeAllSync(fd, `${JSON.stringify(body)}\n`);
    return { ok: true, status: 200 };
  };
}
