import type { SendConversation } from '../delivery/webhook-sender.js';
import { writeAllSync } from '../log/write-sync.js';

/** The `send` of `--dry-run`: prints each conversation's webhook body as one NDJSON line on `fd` (stdout) and calls it accepted. */
export function dryRunSender(fd = 1): SendConversation {
  return async (conversation) => {
    writeAllSync(fd, `${JSON.stringify(conversation)}\n`);
    return { ok: true, status: 200 };
  };
}
