import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

// The shipped schema of retraction bodies (schema/retraction.schema.json), compiled once with ajv's draft 2020-12.
const schema: unknown = JSON.parse(readFileSync(new URL('../../schema/retraction.schema.json', import.meta.url), 'utf8'));
const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats.default(ajv);
const validate = ajv.compile(schema as object);

/** Asserts that `body` validates against the shipped retraction schema, naming every violation. */
export function assertRetractionBody(body: unknown): void {
  assert.ok(validate(body), `the retraction body validates against schema/retraction.schema.json: ${ajv.errorsText(validate.errors)}`);
}
