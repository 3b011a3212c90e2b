import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '../../..');

/** Validates prediction messages against the published JSON Schema (docs/prediction-message.schema.json). */
export function predictionValidator(): (message: unknown) => string[] {
  return schemaValidator('docs/prediction-message.schema.json');
}

/** Validates dead letters (topic and rejected-rows.jsonl) against docs/dead-letter-message.schema.json. */
export function deadLetterValidator(): (message: unknown) => string[] {
  return schemaValidator('docs/dead-letter-message.schema.json');
}

function schemaValidator(file: string): (message: unknown) => string[] {
  const schema = JSON.parse(readFileSync(path.join(REPO_ROOT, file), 'utf8'));
  const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
  addFormats(ajv);
  const validate = ajv.compile(schema);
  return (message) => (validate(message) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`));
}

/** Validates end-of-run records (on `<topic>.runs`) against docs/run-record.schema.json. */
export function runRecordValidator(): (message: unknown) => string[] {
  return schemaValidator('docs/run-record.schema.json');
}
