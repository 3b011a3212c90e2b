// One way to declare, parse and document the flags of every operator CLI, on top of node's util.parseArgs.
// Each option carries its own help text so that --help can never drift from what is parsed.
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { UsageError } from './errors';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  description: string;
  /** Placeholder shown in the usage text, e.g. `ARN`. */
  valueName?: string;
}

export interface CliSpec<O extends Record<string, OptionSpec>> {
  /** How the operator runs it, e.g. `npm run pipeline:start --`. */
  command: string;
  /** What follows the command in the usage line (default `[options]`). */
  arguments?: string;
  summary: string;
  options: O;
  examples?: string[];
  /** Extra paragraphs after the options (exit codes, caveats). */
  notes?: string[];
}

type ValueOf<S extends OptionSpec> = S['type'] extends 'boolean'
  ? S['multiple'] extends true ? boolean[] : boolean
  : S['multiple'] extends true ? string[] : string;

/** What parseCli returns: each declared option as given on the command line (absent options are undefined). */
export type ParsedOptions<O extends Record<string, OptionSpec>> = { [K in keyof O]?: ValueOf<O[K]> };

export type ParseOutcome<O extends Record<string, OptionSpec>> =
  | { help: true; usage: string }
  | { help: false; options: ParsedOptions<O> };

const helpOption: OptionSpec = { type: 'boolean', short: 'h', description: 'Show this help and exit.' };

export function usageText<O extends Record<string, OptionSpec>>(spec: CliSpec<O>): string {
  const all: Record<string, OptionSpec> = { ...spec.options, help: helpOption };
  const rows = Object.entries(all).map(([name, option]) => {
    const flag = `${option.short ? `-${option.short}, ` : '    '}--${name}${option.type === 'string' ? ` ${option.valueName ?? 'VALUE'}` : ''}`;
    const repeat = option.multiple ? ' (repeatable)' : '';
    return { flag, text: `${option.description}${repeat}` };
  });
  const width = Math.max(...rows.map((row) => row.flag.length)) + 2;
  const lines = [`Usage: ${spec.command} ${spec.arguments ?? '[options]'}`, '', spec.summary, '', 'Options:'];
  for (const row of rows) lines.push(`  ${row.flag.padEnd(width)}${row.text}`);
  if (spec.examples?.length) lines.push('', 'Examples:', ...spec.examples.map((example) => `  ${example}`));
  if (spec.notes?.length) lines.push('', ...spec.notes);
  return lines.join('\n');
}

/** Parses argv (without node and script) strictly: unknown flags and stray positionals are usage errors. */
export function parseCli<O extends Record<string, OptionSpec>>(spec: CliSpec<O>, argv: readonly string[]): ParseOutcome<O> {
  const config: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const [name, option] of Object.entries({ ...spec.options, help: helpOption })) {
    config[name] = { type: option.type, ...(option.short ? { short: option.short } : {}), ...(option.multiple ? { multiple: true } : {}) };
  }
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({ args: [...argv], options: config, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new UsageError(`${error instanceof Error ? error.message : String(error)}\nRun with --help for the options.`);
  }
  if (values.help === true) return { help: true, usage: usageText(spec) };
  delete values.help;
  return { help: false, options: values as ParsedOptions<O> };
}

/**
 * Validates parsed options with a zod schema and turns the first problems into a usage error that names the
 * flag, the value given and what is expected.
 */
export function validateOptions<T>(schema: z.ZodType<T>, options: Record<string, unknown>): T {
  const result = schema.safeParse(options);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const flag = issue.path.length ? `--${String(issue.path[0])}` : 'options';
    const given = issue.path.length ? options[String(issue.path[0])] : undefined;
    return `${flag}: ${issue.message}${given === undefined ? '' : ` (got ${JSON.stringify(given)})`}`;
  });
  throw new UsageError(`${problems.join('\n')}\nRun with --help for the options.`);
}

/** A positive whole number given as a flag value, e.g. `--max 10`. */
export const positiveIntFlag = z
  .string()
  .regex(/^\d+$/, 'expected a positive whole number')
  .transform(Number)
  .refine((n) => n > 0, 'expected a number above 0');

/** A duration flag: plain seconds (`90`) or with a unit (`500ms`, `30s`, `15m`, `2h`), returned in milliseconds. */
export const durationFlag = z
  .string()
  .regex(/^\d+(\.\d+)?(ms|s|m|h)?$/, 'expected a duration like 90, 30s, 15m or 2h')
  .transform((text) => {
    const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text)!;
    const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(match[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
    return Math.round(Number(match[1]) * factor);
  });
