// topic:read — read the prediction topic and validate every message against the contract; prints each
// message (--print) and a summary; exits non-zero when any message is invalid.
import { z } from 'zod';
import { CliSpec, OptionSpec, durationFlag, positiveIntFlag, validateOptions } from '../cli/args';
import { loadEnvironmentForCli } from '../cli/environment';
import { CliError, ExitCode, UsageError } from '../cli/errors';
import { CliIo, exitWith, runCli } from '../cli/main';
import { defaultSchemaPath } from './contract';
import { KafkaConnection, environmentKafkaConnection } from './kafka-connection';
import { ReadMessage, ReadSummary, TopicReadError, readAndValidate } from './read-and-validate';
import { RunCompleteness, RunRecords, formatRuns, readRunRecords, runCompleteness } from './run-records';

export const readSpec = {
  command: 'npm run topic:read --',
  summary: 'Read the prediction topic and validate each message (value, key, headers) against the contract docs/prediction-message.schema.json.',
  options: {
    env: { type: 'string', short: 'e', valueName: 'ENV', description: 'Take brokers, topic, TLS and SASL (SCRAM secret or MSK IAM, as the scorer) from this environment\'s config.' },
    'sasl-secret-arn': { type: 'string', valueName: 'ARN', description: 'With --env: read the SCRAM credentials from this secret {"username","password"} (a consumer\'s) instead of the environment\'s (the scorer\'s, which ACLs may allow to write only).' },
    'ca-file': { type: 'string', valueName: 'FILE', description: 'With --env: trust the brokers\' CA from this PEM file instead of downloading the environment\'s kafka.caCertificateUri.' },
    brokers: { type: 'string', short: 'b', valueName: 'HOST:PORT,…', description: 'Brokers (overrides the environment\'s).' },
    topic: { type: 'string', short: 't', valueName: 'TOPIC', description: 'Topic (overrides the environment\'s prediction topic).' },
    isolation: { type: 'string', valueName: 'LEVEL', description: 'read_committed (default: aborted runs stay invisible, as for consumers) or read_uncommitted.' },
    'from-beginning': { type: 'boolean', description: 'Start at the earliest offset instead of only new messages.' },
    max: { type: 'string', short: 'n', valueName: 'N', description: 'Stop after N messages.' },
    timeout: { type: 'string', valueName: 'DURATION', description: 'Stop once no message arrived for this long (default 10s).' },
    print: { type: 'boolean', short: 'p', description: 'Print every message with its verdict (default: only invalid ones and the summary).' },
    json: { type: 'boolean', description: 'Print the summary as one JSON object.' },
    schema: { type: 'string', valueName: 'FILE', description: `Schema file (default ${defaultSchemaPath}).` },
    'no-runs': { type: 'boolean', description: 'Do not read the end-of-run records (<topic>.runs) that say which runs are complete.' },
  },
  examples: [
    'npm run topic:read -- --brokers 127.0.0.1:9092 --topic local.predictions --from-beginning',
    'npm run topic:read -- --env staging --max 100 --print',
  ],
  notes: [
    'After the topic, the end-of-run records on <topic>.runs are read (from the beginning) and each run is reported complete when every shard committed and the messages read match their counts (docs/prediction-contract.md); read with --from-beginning for the counts to be comparable.',
    'Exit codes: 0 every message read is valid, 1 some message is invalid or reading failed, 2 bad usage.',
  ],
} satisfies CliSpec<Record<string, OptionSpec>>;

const readSchema = z.object({
  env: z.string().optional(),
  brokers: z.string().regex(/^[A-Za-z0-9.-]+:\d+(,[A-Za-z0-9.-]+:\d+)*$/, 'expected host:port[,host:port…]').optional(),
  topic: z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, 'expected a Kafka topic name').optional(),
  isolation: z.enum(['read_committed', 'read_uncommitted'], { error: 'expected read_committed or read_uncommitted' }).default('read_committed'),
  'from-beginning': z.boolean().default(false),
  max: positiveIntFlag.optional(),
  timeout: durationFlag.default(10_000),
  print: z.boolean().default(false),
  json: z.boolean().default(false),
  schema: z.string().default(defaultSchemaPath),
  'sasl-secret-arn': z.string().regex(/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:\S+$/, 'expected a Secrets Manager secret ARN').optional(),
  'ca-file': z.string().min(1).optional(),
  'no-runs': z.boolean().default(false),
});

/** --brokers/--topic override the environment's; a cluster given by --brokers is reached without TLS or SASL. */
async function connectionFrom(options: z.infer<typeof readSchema>): Promise<KafkaConnection> {
  if (!options.env) {
    if (!options.brokers || !options.topic) throw new UsageError('Give --env, or both --brokers and --topic.');
    if (options['sasl-secret-arn'] || options['ca-file']) throw new UsageError('--sasl-secret-arn and --ca-file need --env (the environment says how its brokers are reached).');
    return { brokers: options.brokers.split(','), topic: options.topic };
  }
  const fromConfig = await environmentKafkaConnection(loadEnvironmentForCli(options.env), undefined, {
    ...(options['ca-file'] ? { caFile: options['ca-file'] } : {}),
    ...(options['sasl-secret-arn'] ? { saslSecretArn: options['sasl-secret-arn'] } : {}),
  });
  if (options.brokers) return { brokers: options.brokers.split(','), topic: options.topic ?? fromConfig.topic };
  return { ...fromConfig, ...(options.topic ? { topic: options.topic } : {}) };
}

export function formatMessage(message: ReadMessage): string {
  const head = `p${message.partition}@${message.offset} key=${message.key ?? '(none)'} model=${message.verdict.modelVersion}`;
  return message.verdict.valid ? `valid    ${head} ${JSON.stringify(message.verdict.value)}` : `INVALID  ${head}\n${message.verdict.problems.map((problem) => `           ${problem}`).join('\n')}`;
}

export function formatSummary(summary: ReadSummary): string[] {
  const lines = [
    `Read ${summary.read} message(s) from ${summary.topic} (${summary.isolation}) in ${(summary.elapsedMs / 1000).toFixed(1)}s, stopped ${summary.stoppedBecause === 'max' ? 'at --max' : 'after --timeout without new messages'}: ${summary.valid} valid, ${summary.invalid} invalid.`,
  ];
  for (const [version, counts] of Object.entries(summary.byModelVersion).sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }))) {
    lines.push(`  model version ${version}: ${counts.valid} valid, ${counts.invalid} invalid`);
  }
  return lines;
}

export function readCommand(argv: readonly string[], io?: CliIo): Promise<ExitCode> {
  return runCli(
    readSpec,
    argv,
    async (raw, out) => {
      const options = validateOptions(readSchema, raw);
      const connection = await connectionFrom(options);
      let summary: ReadSummary;
      try {
        summary = await readAndValidate({
          ...connection,
          isolation: options.isolation,
          fromBeginning: options['from-beginning'],
          idleTimeoutMs: options.timeout,
          schemaPath: options.schema,
          ...(options.max === undefined ? {} : { max: options.max }),
          onMessage: (message) => {
            if (options.print || !message.verdict.valid) (message.verdict.valid ? out.out : out.err)(formatMessage(message));
          },
        });
      } catch (error) {
        if (error instanceof TopicReadError) throw new CliError(error.message, { cause: error.cause, retryable: error.retryable });
        throw error;
      }
      let runs: { records: RunRecords; completeness: RunCompleteness[] } | undefined;
      if (!options['no-runs']) {
        try {
          const records = await readRunRecords({ ...connection, isolation: options.isolation, idleTimeoutMs: Math.min(options.timeout, 5_000) });
          runs = { records, completeness: runCompleteness(records.records, summary.byRun) };
        } catch (error) {
          if (error instanceof TopicReadError) throw new CliError(error.message, { cause: error.cause, retryable: error.retryable });
          throw error;
        }
      }
      if (options.json) out.out(JSON.stringify({ ...summary, ...(runs ? { runs: runs.completeness } : {}) }));
      else for (const line of [...formatSummary(summary), ...(runs ? formatRuns(runs.records, runs.completeness) : [])]) out.out(line);
      return summary.invalid > 0 ? ExitCode.failed : ExitCode.ok;
    },
    io,
  );
}

if (require.main === module) exitWith(readCommand(process.argv.slice(2)));
