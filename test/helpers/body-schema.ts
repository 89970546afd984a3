// The published JSON Schemas of what the job POSTs (schema/*.schema.json), compiled once with ajv (draft 2020-12):
// the test receiver checks every body it gets against the one its `type` names.
import { readdirSync, readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';

const schemaDir = new URL('../../schema/', import.meta.url);
let validators: Map<string, ValidateFunction> | undefined;

// schema/<type>.schema.json validates bodies of that `type` (conversation, and any event type that ships one).
function compiled(): Map<string, ValidateFunction> {
  if (validators !== undefined) return validators;
  const ajv = new Ajv2020({ allErrors: true, strict: true, validateFormats: false });
  const byType = new Map<string, ValidateFunction>();
  for (const file of readdirSync(schemaDir).filter((name) => name.endsWith('.schema.json'))) {
    byType.set(file.slice(0, -'.schema.json'.length), ajv.compile(JSON.parse(readFileSync(new URL(file, schemaDir), 'utf8'))));
  }
  return (validators = byType);
}

/** Why `body` does not validate against the schema of its `type` (one line per error), or undefined when it does. */
export function schemaErrors(body: unknown): string | undefined {
  const type = body !== null && typeof body === 'object' && typeof (body as { type?: unknown }).type === 'string' ? (body as { type: string }).type : undefined;
  if (type === undefined) return 'the body has no "type"';
  const validate = compiled().get(type);
  if (validate === undefined) return `no schema/${type}.schema.json for a body of type ${JSON.stringify(type)}`;
  if (validate(body)) return undefined;
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`).join('\n');
}
