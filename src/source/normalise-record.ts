import type { Turn } from '../domain/turn.js';
import { responseParts } from './response-parts.js';

/** What a raw record turned out to be. */
export type Normalised =
  | { readonly kind: 'turn'; readonly turn: Turn }
  | { readonly kind: 'bad'; readonly id: number | null; readonly createdAt: number | null; readonly reason: string };

const dayMs = 24 * 60 * 60 * 1000;
// ISO-8601 with a date and a time; the time zone may be omitted (AnythingLLM writes UTC).
const isoDateTime = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** Validates one record of the admin chat API (DESIGN §1) against the real clock `realNowMs`; never throws. */
export function normaliseRecord(raw: unknown, realNowMs: number): Normalised {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { kind: 'bad', id: null, createdAt: null, reason: 'record is not an object' };
  const record = raw as Record<string, unknown>;
  const bad = (id: number | null, reason: string): Normalised => ({ kind: 'bad', id, createdAt: parseTime(record['createdAt']) ?? null, reason });
  const id = record['id'];
  if (!isNonNegativeInteger(id)) return bad(null, `id ${describe(id)} is not a non-negative integer`);
  const workspaceId = record['workspaceId'];
  if (!isNonNegativeInteger(workspaceId)) return bad(id, `workspaceId ${describe(workspaceId)} is not a non-negative integer`);
  const threadId = record['thread_id'] ?? null;
  if (threadId !== null && !isNonNegativeInteger(threadId)) return bad(id, `thread_id ${describe(threadId)} is not an integer or null`);
  const userId = record['user_id'] ?? null;
  if (userId !== null && !isNonNegativeInteger(userId)) return bad(id, `user_id ${describe(userId)} is not an integer or null`);
  const apiSessionId = record['api_session_id'] ?? null;
  if (apiSessionId !== null && typeof apiSessionId !== 'string') return bad(id, `api_session_id ${describe(apiSessionId)} is not a string or null`);
  const createdAt = parseTime(record['createdAt']);
  if (createdAt === undefined) return bad(id, `createdAt ${describe(record['createdAt'])} is not an ISO-8601 date`);
  if (createdAt > realNowMs + dayMs) return bad(id, `createdAt ${String(record['createdAt'])} is more than a day in the future`);
  const lastUpdatedAt = record['lastUpdatedAt'];
  const updatedAt = lastUpdatedAt === undefined || lastUpdatedAt === null ? createdAt : parseTime(lastUpdatedAt);
  if (updatedAt === undefined) return bad(id, `lastUpdatedAt ${describe(lastUpdatedAt)} is not an ISO-8601 date`);
  const prompt = record['prompt'];
  if (typeof prompt !== 'string') return bad(id, `prompt is ${describe(prompt)}, not a string`);
  const response = record['response'] ?? '';
  if (typeof response !== 'string') return bad(id, `response is ${describe(response)}, not a string`);
  const include = record['include'] ?? true;
  if (typeof include !== 'boolean') return bad(id, `include ${describe(include)} is not a boolean`);
  const workspace = asObject(record['workspace']);
  const user = asObject(record['user']);
  const { text: reply, attachments, sources } = responseParts(response);
  return {
    kind: 'turn',
    turn: {
      id,
      workspaceId,
      workspaceName: text(workspace?.['name']) ?? `workspace ${workspaceId}`,
      workspaceSlug: text(workspace?.['slug']) ?? String(workspaceId),
      threadId,
      userId,
      apiSessionId: apiSessionId === null ? null : apiSessionId.toWellFormed(),
      createdAt,
      updatedAt,
      user: text(user?.['username']) ?? null,
      prompt: prompt.toWellFormed(),
      reply: reply.toWellFormed(),
      ...(attachments === undefined ? {} : { attachments }),
      ...(sources === undefined ? {} : { sources }),
      include,
    },
  };
}

/** The assistant's text from AnythingLLM's `response` column: a JSON object's `text`, or the string itself. */
export function replyText(response: string): string {
  return responseParts(response).text;
}

function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** An ISO-8601 `createdAt`/`lastUpdatedAt` in ms since the epoch (UTC when it names no zone), or undefined. */
export function parseTime(value: unknown): number | undefined {
  if (typeof value !== 'string' || !isoDateTime.test(value)) return undefined;
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/.test(value);
  const ms = Date.parse(hasZone ? value : `${value}Z`);
  return Number.isFinite(ms) && ms >= 0 && isCalendarDay(value) ? ms : undefined;
}

// Date.parse rolls a day past the month's end over ("2026-02-30" is 2 March): such a date is bad, not moved.
function isCalendarDay(value: string): boolean {
  const day = Number(value.slice(8, 10));
  if (day <= 28) return true; // every month has 28 days
  const year = Number(value.slice(0, 4));
  const month = Number(value.slice(5, 7));
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate(); // day 0 of the next month: this month's last day
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value.toWellFormed() : undefined;
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return `${typeof value} ${JSON.stringify(value)?.slice(0, 40)}`;
}
