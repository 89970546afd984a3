import { JSONParser } from '@streamparser/json';
import { slimRecord } from './response-parts.js';

/** What a page's body held once parsed: its records (each slimmed) and `hasPages`, or why it is not a page. */
export type ParsedPage =
  | { readonly ok: true; readonly records: readonly unknown[]; readonly hasPages: boolean; readonly bytes: number }
  | { readonly ok: false; readonly reason: 'html' | 'garbled' | 'shape'; readonly bytes: number };

/** A page body read chunk by chunk: `write` each chunk as it arrives, `end` once it is whole. */
export interface PageStream {
  write(chunk: Buffer): void;
  end(): ParsedPage;
}

/**
 * Parses an admin chat API page (`{"chats": [...], "hasPages": boolean}`, DESIGN §1) as its bytes arrive, and slims
 * each chat the moment it is whole (slimRecord: an attachment keeps its size, not its base64; a source its title and
 * address, not its chunks): neither the page's text nor a chat's bulk outlives its own parse, so a page of
 * megabyte attachments costs one chat's worth of memory, not the page's (DESIGN §3 "Rows of any size").
 * Built on @streamparser/json (no dependencies, emits the elements of `chats` one by one and drops them from its
 * stack). Never throws: a body that is not JSON, or not of that shape, ends as `ok: false`.
 */
export function pageStream(): PageStream {
  const parser = new JSONParser({ paths: ['$.chats.*', '$.chats', '$.hasPages'], keepStack: false, stringBufferSize: 64 * 1024 });
  let bytes = 0;
  let first: number | undefined; // the first byte that is not white space: '<' is an HTML page
  let failed = false;
  let chats: unknown;
  let hasPages: unknown;
  parser.onError = () => void (failed = true);
  parser.onValue = ({ value, key, parent, stack }) => {
    if (stack.length === 2 && parent !== undefined && key !== undefined) {
      // An element of `chats`, whole: slimmed in place, so `chats` holds only slim records when it is emitted itself.
      (parent as Record<string | number, unknown>)[key] = slimRecord(value);
    } else if (stack.length === 1 && key === 'chats') chats = value;
    else if (stack.length === 1 && key === 'hasPages') hasPages = value;
  };
  return {
    write(chunk) {
      if (first === undefined) first = chunk.find((byte) => byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09 && byte !== 0xef && byte !== 0xbb && byte !== 0xbf);
      bytes += chunk.length;
      if (!failed) parser.write(chunk);
    },
    end() {
      if (!failed && !parser.isEnded) parser.end();
      if (failed || !parser.isEnded) return { ok: false, reason: first === 0x3c ? 'html' : 'garbled', bytes };
      if (!Array.isArray(chats) || typeof hasPages !== 'boolean') return { ok: false, reason: 'shape', bytes };
      return { ok: true, records: chats, hasPages, bytes };
    },
  };
}
