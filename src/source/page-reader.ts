import type { SourceConfig } from '../config.js';
import type { RetryOptions } from '../http/retry.js';
import { apiPageReader } from './api-source.js';
import { filePageReader } from './file-source.js';
import { validatedPages } from './normalise-page.js';
import type { ReadPage } from './page.js';

/** How to read the configured source besides where it is. */
export interface PageReaderOptions {
  /** Per-request timeout of the API (ms). */
  readonly timeoutMs: number;
  readonly retry: RetryOptions;
  /** The real clock (ms), for the "more than a day in the future" check. @default Date.now */
  readonly realNow?: () => number;
}

/** The ReadPage of the configured source (the admin chat API or an NDJSON file): validated pages of turns and bad records (DESIGN §1). */
export function pageReader(source: SourceConfig, options: PageReaderOptions): ReadPage {
  const readRaw = source.kind === 'api' ? apiPageReader({ baseUrl: source.baseUrl, apiKey: source.apiKey, timeoutMs: options.timeoutMs, retry: options.retry }) : filePageReader(source.path);
  return validatedPages(readRaw, options.realNow ?? Date.now);
}
