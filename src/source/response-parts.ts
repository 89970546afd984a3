import type { Attachment, Source } from '../domain/turn.js';

/** What a chat's `response` column says: the reply's text, the user's files and the reply's documents (DESIGN §1, §3). */
export interface ResponseParts {
  readonly text: string;
  readonly attachments?: readonly Attachment[];
  readonly sources?: readonly Source[];
}

/**
 * Reads AnythingLLM's `response` column, a JSON string `{"text", "sources", "attachments", …}` written by
 * `WorkspaceChats.new` (server/utils/chats/stream.js, apiChatHandler.js, telegramBot/chat/stream.js). Text that is not
 * a JSON object is the reply itself (DESIGN §1). `attachments` and `sources` are absent when there are none.
 */
export function responseParts(response: string): ResponseParts {
  const parsed = parseObject(response);
  if (parsed === undefined) return { text: response };
  const text = typeof parsed['text'] === 'string' ? parsed['text'] : '';
  const attachments = attachmentsOf(parsed['attachments']);
  const sources = sourcesOf(parsed['sources']);
  return { text, ...(attachments.length > 0 ? { attachments } : {}), ...(sources.length > 0 ? { sources } : {}) };
}

/**
 * The same `response` without its bulk: each attachment `{name, mime, bytes}` instead of its base64 `contentString`,
 * each source `{title, url?}` instead of its chunk text, duplicates dropped; every other field as it was. Read by
 * responseParts to the same parts, so a record can be slimmed the moment it is parsed and its content let go (its
 * `text`, which the chat digest reads, is unchanged). A response with nothing to drop comes back as it was.
 */
export function slimResponse(response: string): string {
  // Most rows have neither a file nor a source (`"attachments":[]`, `"sources":[]`): no parse for them.
  if (!response.includes('"contentString"') && !/"sources"\s*:\s*\[\s*\{/.test(response)) return response;
  const parsed = parseObject(response);
  if (parsed === undefined || (!Array.isArray(parsed['attachments']) && !Array.isArray(parsed['sources']))) return response;
  const slim: Record<string, unknown> = { ...parsed };
  if (Array.isArray(parsed['attachments'])) slim['attachments'] = attachmentsOf(parsed['attachments']);
  if (Array.isArray(parsed['sources'])) slim['sources'] = sourcesOf(parsed['sources']);
  return JSON.stringify(slim);
}

/**
 * A raw chat record with its `response` slimmed (slimResponse); anything else as it was. Sources apply it to each
 * record as soon as it is parsed, so neither staging nor a quarantined copy ever holds an attachment's content.
 */
export function slimRecord(raw: unknown): unknown {
  const record = raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : undefined;
  const response = record?.['response'];
  if (typeof response !== 'string') return raw;
  const slim = slimResponse(response);
  return slim === response ? raw : { ...record, response: slim };
}

/**
 * AnythingLLM's attachments (`[{name, mime, contentString: "data:…;base64,…"}]`, server/utils/helpers/index.js
 * `Attachment`) as `{name, mime, bytes}`: `bytes` is the decoded size of the data URL (or a slimmed entry's `bytes`);
 * the mime falls back to the data URL's, then `application/octet-stream`; the name to `attachment`.
 */
function attachmentsOf(value: unknown): Attachment[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item: unknown): Attachment[] => {
    const entry = asObject(item);
    if (entry === undefined) return [];
    const content = typeof entry['contentString'] === 'string' ? entry['contentString'] : undefined;
    const bytes = isSize(entry['bytes']) ? entry['bytes'] : content === undefined ? 0 : decodedBytes(content);
    const mime = nonEmpty(entry['mime']) ?? (content === undefined ? undefined : /^data:([^;,]+)/.exec(content)?.[1]) ?? 'application/octet-stream';
    return [{ name: nonEmpty(entry['name']) ?? 'attachment', mime, bytes }];
  });
}

/**
 * The documents of `response.sources` as `{title, url?}`, once each (AnythingLLM stores one entry per chunk, each
 * with the document's metadata and the chunk's `text`). `url` is an http(s) address only: the one inside the
 * collector's `chunkSource` (`link://https://…`, `youtube://https://…`, `github://https://…`, …) when there is one,
 * else the document's `url` when it is http(s) — never a `file://` path on AnythingLLM's disk. `title` falls back to
 * the url; an entry with neither is dropped.
 */
export function sourcesOf(value: unknown): Source[] {
  if (!Array.isArray(value)) return [];
  const seen = new Set<string>();
  const sources: Source[] = [];
  for (const item of value as unknown[]) {
    const entry = asObject(item);
    if (entry === undefined) continue;
    const url = webAddress(entry['chunkSource']) ?? webAddress(innerAddress(entry['chunkSource'])) ?? webAddress(entry['url']);
    const title = nonEmpty(entry['title']) ?? url;
    if (title === undefined) continue;
    const key = JSON.stringify([title, url ?? null]);
    if (seen.has(key)) continue;
    seen.add(key);
    sources.push(url === undefined ? { title } : { title, url });
  }
  return sources;
}

/** The decoded size in bytes of a data URL (`data:[mime][;base64],payload`), or of bare base64 text. */
export function decodedBytes(content: string): number {
  const comma = content.startsWith('data:') ? content.indexOf(',') : -1;
  if (comma >= 0 && !content.slice(0, comma).endsWith(';base64')) return Buffer.byteLength(percentDecoded(content.slice(comma + 1)));
  return Buffer.byteLength(comma >= 0 ? content.slice(comma + 1) : content, 'base64');
}

function percentDecoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

// `scheme://rest` → rest (the collector's chunkSource wraps the document's address in a scheme of its own).
function innerAddress(chunkSource: unknown): string | undefined {
  if (typeof chunkSource !== 'string') return undefined;
  const at = chunkSource.indexOf('://');
  return at < 0 ? undefined : chunkSource.slice(at + 3);
}

function webAddress(value: unknown): string | undefined {
  if (typeof value !== 'string' || !/^https?:\/\//i.test(value) || !URL.canParse(value)) return undefined;
  return value.toWellFormed();
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    return asObject(JSON.parse(text));
  } catch {
    return undefined;
  }
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value.toWellFormed() : undefined;
}

function isSize(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
