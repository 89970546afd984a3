import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../src/config.js';
import { parseDuration } from '../src/config/duration.js';
import { isMcError } from '../src/errors.js';
import { tempDir } from './helpers/temp-dir.js';

const env = { BASE_URL: 'http://127.0.0.1:3001', API_KEY: 'env-key', WEBHOOK_URL: 'http://127.0.0.1:9/hook' };

function configError(flags: Parameters<typeof loadConfig>[0], environment: NodeJS.ProcessEnv): string {
  try {
    loadConfig(flags, environment);
  } catch (error) {
    assert.ok(isMcError(error, 'MC_CONFIG'), String(error));
    assert.ok(!error.message.includes('\n'), 'one line');
    return error.message;
  }
  assert.fail('expected a configuration error');
}

describe('configuration', () => {
  it('REREAD_WINDOW: 24 h by default, 0 turns it off, a bad value is one line naming it', () => {
    assert.equal(loadConfig({}, env).rereadWindowMs, 24 * 3_600_000);
    assert.equal(loadConfig({}, { ...env, REREAD_WINDOW: '0' }).rereadWindowMs, 0);
    assert.equal(loadConfig({}, { ...env, REREAD_WINDOW: '2d' }).rereadWindowMs, 48 * 3_600_000);
    assert.equal(loadConfig({}, { ...env, REREAD_WINDOW: '90m' }).rereadWindowMs, 90 * 60_000);
    assert.match(configError({}, { ...env, REREAD_WINDOW: 'a day' }), /^REREAD_WINDOW "a day" is not a positive duration/);
  });

  it('MAX_CONVERSATION_SPAN and MAX_CONVERSATION_BYTES: 24 h and 1,000,000 by default, the flags win, 0 turns a cap off, a bad value is one line naming it', () => {
    const config = loadConfig({}, env);
    assert.deepEqual([config.maxSpanMs, config.maxBytes], [24 * 3_600_000, 1_000_000]);
    assert.deepEqual([loadConfig({}, { ...env, MAX_CONVERSATION_SPAN: '12' }).maxSpanMs, loadConfig({}, { ...env, MAX_CONVERSATION_SPAN: '90m' }).maxSpanMs], [12 * 3_600_000, 90 * 60_000]);
    assert.equal(loadConfig({ maxSpan: '2d' }, { ...env, MAX_CONVERSATION_SPAN: '1h' }).maxSpanMs, 48 * 3_600_000);
    assert.equal(loadConfig({ maxBytes: '500000' }, { ...env, MAX_CONVERSATION_BYTES: '100000' }).maxBytes, 500_000);
    assert.deepEqual([loadConfig({}, { ...env, MAX_CONVERSATION_SPAN: '0' }).maxSpanMs, loadConfig({ maxSpan: '0h' }, env).maxSpanMs, loadConfig({ maxBytes: '0' }, env).maxBytes], [0, 0, 0]);
    assert.match(configError({}, { ...env, MAX_CONVERSATION_SPAN: 'a day' }), /^MAX_CONVERSATION_SPAN "a day" is not a positive duration/);
    assert.match(configError({ maxSpan: '-1h' }, env), /^--max-span "-1h" is not a positive duration/);
    assert.match(configError({}, { ...env, MAX_CONVERSATION_BYTES: '1MB' }), /^MAX_CONVERSATION_BYTES \(--max-bytes; 0 turns the cap off\) "1MB" must be a whole number from 0/);
    assert.match(configError({ maxBytes: '-5' }, env), /^--max-bytes \(MAX_CONVERSATION_BYTES; 0 turns the cap off\) "-5" must be a whole number from 0/);
  });

  it('--backfill and --since must lie in the past: a later date is one line naming the flag, a past one is taken', () => {
    const tomorrow = new Date(Date.now() + 2 * 24 * 3_600_000).toISOString();
    assert.match(configError({ backfill: tomorrow }, env), /^--backfill \S+ \(\S+\) is in the future; give the date of the oldest chats/);
    assert.match(configError({ since: tomorrow }, env), /^--since \S+ \(\S+\) is in the future/);
    assert.equal(loadConfig({ backfill: '2026-11-01T06:00:00Z' }, env).backfill?.toISOString(), '2026-11-01T06:00:00.000Z');
  });

  it('KEEP_REASONING: off by default, true/false (1/0, yes/no) from the environment, --keep-reasoning wins, anything else one line', () => {
    assert.equal(loadConfig({}, env).keepReasoning, false);
    for (const [value, expected] of [['true', true], ['TRUE', true], ['1', true], ['yes', true], ['false', false], ['0', false], ['no', false], ['', false]] as const) {
      assert.equal(loadConfig({}, { ...env, KEEP_REASONING: value }).keepReasoning, expected, value);
    }
    assert.equal(loadConfig({ keepReasoning: true }, { ...env, KEEP_REASONING: 'false' }).keepReasoning, true);
    assert.equal(configError({}, { ...env, KEEP_REASONING: 'sometimes' }), 'KEEP_REASONING is "sometimes"; set it to true or false');
  });

  it('--concurrency is read as typed: a bad value is named as given (not as NaN or null)', () => {
    assert.equal(loadConfig({ concurrency: '8' }, env).concurrency, 8);
    assert.match(configError({ concurrency: 'abc' }, env), /^CONCURRENCY \(--concurrency\) "abc" must be a whole number from 1 to 64$/);
  });

  it('has the documented defaults', () => {
    const config = loadConfig({}, env);
    assert.deepEqual(
      [config.gapMs, config.stateDir, config.concurrency, config.includeHidden, config.timeoutMs, config.retries, config.retryMinMs, config.webhookSecret, config.webhookHeaders, config.now],
      [3_600_000, 'state', 4, false, 30_000, 7, 250, undefined, {}, undefined],
    );
  });

  it('RETRACT_WEBHOOK_URL: unset by default (empty is unset), the flag over the environment, checked as WEBHOOK_URL is', () => {
    assert.equal(loadConfig({}, env).retractWebhookUrl, undefined);
    assert.equal(loadConfig({}, { ...env, RETRACT_WEBHOOK_URL: ' ' }).retractWebhookUrl, undefined);
    assert.equal(loadConfig({}, { ...env, RETRACT_WEBHOOK_URL: env.WEBHOOK_URL }).retractWebhookUrl, env.WEBHOOK_URL, 'may equal WEBHOOK_URL');
    assert.equal(loadConfig({ retractWebhookUrl: 'https://memory.example/forget' }, { ...env, RETRACT_WEBHOOK_URL: env.WEBHOOK_URL }).retractWebhookUrl, 'https://memory.example/forget');
    assert.equal(configError({}, { ...env, RETRACT_WEBHOOK_URL: 'ftp://x' }), 'RETRACT_WEBHOOK_URL "ftp://x" must start with http:// or https://; set it to the retraction webhook, e.g. https://memory.example/forget');
    assert.match(configError({}, { ...env, RETRACT_WEBHOOK_URL: 'not a url' }), /^RETRACT_WEBHOOK_URL "not a url" is not a URL/);
    assert.match(configError({}, { ...env, RETRACT_WEBHOOK_URL: 'https://u:p@memory.example/forget' }), /^RETRACT_WEBHOOK_URL .*WEBHOOK_SECRET/);
  });

  it('names each missing or bad setting in one line', () => {
    assert.match(configError({}, { ...env, BASE_URL: undefined }), /^BASE_URL is missing; set BASE_URL or --base-url/);
    assert.match(configError({}, { ...env, API_KEY: undefined }), /API key is missing/);
    assert.equal(configError({}, { ...env, WEBHOOK_URL: 'ftp://x' }), 'WEBHOOK_URL "ftp://x" must start with http:// or https://; set it to the memory webhook, e.g. https://memory.example/hook');
    assert.equal(configError({}, { ...env, BASE_URL: 'localhost:3001' }), 'BASE_URL "localhost:3001" must start with http:// or https://; set it to the AnythingLLM server\'s root, e.g. http://localhost:3001');
    assert.match(configError({}, { ...env, WEBHOOK_URL: 'not a url' }), /^WEBHOOK_URL "not a url" is not a URL/);
    assert.match(configError({ gap: 'soon' }, env), /^--gap "soon" is not a positive duration/);
    assert.match(configError({}, { ...env, CONVERSATION_HOUR_WINDOW: '0' }), /^CONVERSATION_HOUR_WINDOW "0"/);
    assert.match(configError({ concurrency: 0 }, env), /^CONCURRENCY \(--concurrency\) 0 must be a whole number from 1 to 64/);
    assert.match(configError({ now: 'tomorrow' }, env), /^--now "tomorrow" is not an ISO-8601 instant/);
    assert.match(configError({ source: 'http://x' }, env), /^--source "http:\/\/x" is not understood/);
    assert.match(configError({}, { ...env, LOG_LEVEL: 'loud' }), /^LOG_LEVEL "loud"/);
  });

  it('names every missing required setting in one line, so one run tells all there is to set', () => {
    assert.equal(
      configError({}, {}),
      "3 settings are missing: BASE_URL (or --base-url: the AnythingLLM server's root, e.g. http://localhost:3001); API_KEY (or --api-key-file, or the systemd credential api-key); WEBHOOK_URL (or --webhook-url: the memory webhook, e.g. https://memory.example/hook) — set them in the environment (or /etc/memory-cron/env under systemd)",
    );
    assert.match(configError({}, { WEBHOOK_URL: env.WEBHOOK_URL }), /^2 settings are missing: BASE_URL .*; API_KEY /);
    assert.match(configError({ source: 'file:/x.ndjson' }, {}), /^WEBHOOK_URL is missing/, 'a file source needs neither BASE_URL nor a key');
    assert.doesNotThrow(() => loadConfig({}, { BASE_URL: env.BASE_URL, API_KEY: 'k' }, { source: true, webhook: false }));
  });

  it('reads the gap as hours from the environment and as 90m, 1h, 1.5h from --gap', () => {
    assert.equal(loadConfig({}, { ...env, CONVERSATION_HOUR_WINDOW: '1.5' }).gapMs, 5_400_000);
    assert.equal(loadConfig({ gap: '90m' }, env).gapMs, 5_400_000);
    assert.equal(loadConfig({ gap: '1.5h' }, env).gapMs, 5_400_000);
    assert.equal(parseDuration('500ms', 'h'), 500);
    assert.equal(parseDuration('1h30m', 'h'), undefined);
  });

  it('takes the API key from --api-key-file, then the systemd credential, then API_KEY, trimming the newline', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'key-file'), 'file-key\n');
    await writeFile(join(dir, 'api-key'), 'credential-key\n');
    const apiKey = (flags: Parameters<typeof loadConfig>[0], environment: NodeJS.ProcessEnv) => {
      const source = loadConfig(flags, environment).source;
      return source?.kind === 'api' ? source.apiKey : undefined;
    };
    assert.equal(apiKey({ apiKeyFile: join(dir, 'key-file') }, { ...env, CREDENTIALS_DIRECTORY: dir }), 'file-key');
    assert.equal(apiKey({}, { ...env, CREDENTIALS_DIRECTORY: dir }), 'credential-key');
    assert.equal(apiKey({}, env), 'env-key');
    assert.match(configError({ apiKeyFile: join(dir, 'missing') }, env), /^cannot read the API_KEY file .*missing \(ENOENT\)/);
  });

  it('treats an empty webhook-secret credential as unsigned', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'webhook-secret'), '\n');
    assert.equal(loadConfig({}, { ...env, CREDENTIALS_DIRECTORY: dir }).webhookSecret, undefined);
    await writeFile(join(dir, 'webhook-secret'), 'whsec_abc\n');
    assert.equal(loadConfig({}, { ...env, CREDENTIALS_DIRECTORY: dir, WEBHOOK_SECRET: 'env' }).webhookSecret, 'whsec_abc');
  });

  it('reads chats from a file with --source file:PATH, needing no BASE_URL or key', () => {
    assert.deepEqual(loadConfig({ source: 'file:chats.ndjson' }, { WEBHOOK_URL: env.WEBHOOK_URL }).source, { kind: 'file', path: 'chats.ndjson' });
  });
});
