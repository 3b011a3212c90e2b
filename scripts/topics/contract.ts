// Validates prediction messages against the published contract (docs/prediction-message.schema.json,
// JSON Schema 2020-12). One validator per schema file; a message is judged on its value (JSON against the
// schema) and on what the contract says about the key and headers.
import { promises as fs } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { HEADER } from '../../apps/scorer/src/contract';

export const defaultSchemaPath = 'docs/prediction-message.schema.json';

export interface RawMessage {
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
}

export interface Verdict {
  valid: boolean;
  /** One line per problem, naming the field (JSON pointer) and what is wrong. */
  problems: string[];
  /** The model version the message claims (value first, else its header); "unknown" when absent. */
  modelVersion: string;
  value?: unknown;
}

export type MessageValidator = (message: RawMessage) => Verdict;

export async function loadContractValidator(schemaPath: string = defaultSchemaPath): Promise<MessageValidator> {
  let schema: object;
  try {
    schema = JSON.parse(await fs.readFile(schemaPath, 'utf8')) as object;
  } catch (error) {
    throw new Error(`Could not load the prediction message schema ${schemaPath}`, { cause: error });
  }
  return contractValidator(schema);
}

export function contractValidator(schema: object): MessageValidator {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  const validate = ajv.compile(schema);
  return (message) => {
    const problems: string[] = [];
    let value: unknown;
    if (message.value === null) {
      problems.push('value: is empty (a tombstone); the contract has one JSON object per prediction');
    } else {
      try {
        value = JSON.parse(message.value.toString('utf8'));
      } catch (error) {
        problems.push(`value: is not JSON (${error instanceof Error ? error.message : String(error)})`);
      }
    }
    if (value !== undefined && !validate(value)) {
      for (const error of validate.errors ?? []) {
        const where = error.instancePath || '(root)';
        const extra = error.keyword === 'additionalProperties' ? ` "${String((error.params as { additionalProperty?: string }).additionalProperty)}"` : '';
        problems.push(`value${where === '(root)' ? '' : where}: ${error.message ?? error.keyword}${extra}`);
      }
    }
    const fields = value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
    problems.push(...keyAndHeaderProblems(message, fields));
    return {
      valid: problems.length === 0,
      problems,
      modelVersion: modelVersionOf(fields) ?? headerText(message, HEADER.modelVersion) ?? 'unknown',
      ...(value === undefined ? {} : { value }),
    };
  };
}

// The contract: key = entity id; headers repeat the schema version, model name and version and the run id
// (header names from the scorer's contract module, the one place that defines them).
const repeatedInHeaders: Array<[header: string, read: (value: Record<string, unknown>) => unknown]> = [
  [HEADER.schemaVersion, (value) => value.schema_version],
  [HEADER.modelName, (value) => field(value.model, 'name')],
  [HEADER.modelVersion, (value) => field(value.model, 'version')],
  [HEADER.runId, (value) => field(value.run, 'id')],
];

function keyAndHeaderProblems(message: RawMessage, value: Record<string, unknown>): string[] {
  const problems: string[] = [];
  if (value.entity_id !== undefined) {
    const key = message.key?.toString('utf8');
    if (key !== String(value.entity_id)) problems.push(`key: must equal entity_id ${JSON.stringify(String(value.entity_id))} (got ${key === undefined ? 'no key' : JSON.stringify(key)})`);
  }
  for (const [header, read] of repeatedInHeaders) {
    const expected = read(value);
    if (expected === undefined) continue;
    const actual = headerText(message, header);
    if (actual === undefined) problems.push(`headers.${header}: missing (the contract repeats it from the value)`);
    else if (actual !== String(expected)) problems.push(`headers.${header}: ${JSON.stringify(actual)} differs from the value's ${JSON.stringify(String(expected))}`);
  }
  return problems;
}

function field(container: unknown, name: string): unknown {
  return container !== null && typeof container === 'object' ? (container as Record<string, unknown>)[name] : undefined;
}

function modelVersionOf(value: Record<string, unknown>): string | undefined {
  const version = field(value.model, 'version');
  return version === undefined ? undefined : String(version);
}

function headerText(message: RawMessage, name: string): string | undefined {
  const raw = message.headers?.[name];
  const first = Array.isArray(raw) ? raw[0] : raw;
  return first === undefined ? undefined : first.toString();
}
