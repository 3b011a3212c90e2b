// The numbers `npm run bench:scorer` prints and the targets it checks (scripts/bench/scorer.ts runs the processes).
import { z } from 'zod';
import { CliSpec, OptionSpec, positiveIntFlag } from '../cli/args';

export const benchSpec = {
  command: 'npm run bench:scorer --',
  summary:
    'The batch scorer end to end (read, validate, score, publish with acks=all in transactions) against its Python peer (pyarrow, onnxruntime, ' +
    "confluent-kafka: scripts/bench/scorer_peer.py) and Kafka's ProducerPerformance, interleaved runs on one broker, for CSV and Parquet.",
  options: {
    rows: { type: 'string', valueName: 'N', description: 'Rows per run (default 1000000).' },
    runs: { type: 'string', valueName: 'N', description: 'Interleaved runs of each (default 3, at least 3 for the targets).' },
    formats: { type: 'string', valueName: 'LIST', description: 'csv,parquet (default both).' },
    files: { type: 'string', valueName: 'N', description: 'Input files per data set (default 4).' },
    compression: { type: 'string', valueName: 'CODEC', description: 'none (default, the same bytes on the wire everywhere) or gzip.' },
    scaling: { type: 'boolean', description: 'Also run the scorer with 1 and with 2 pipelines (KAFKA_PRODUCERS) to show how it scales with cores.' },
    'node-args': { type: 'string', valueName: 'ARGS', description: 'Extra node flags for the scorer, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".' },
  },
  examples: ['npm run bench:scorer', 'npm run bench:scorer -- --rows 200000 --runs 3 --formats csv --scaling'],
  notes: [
    `Targets (exit 1 when one is missed): median scorer/peer rows/s ratio >= ${'1.3'} in each format, peak RSS of the scorer <= 300 MB.`,
    'Uses KAFKA_BROKERS and MLFLOW_TRACKING_URI from the environment, or starts Kafka and MLflow. Exit codes: 0 targets met, 1 missed or failed, 2 bad usage.',
  ],
} satisfies CliSpec<Record<string, OptionSpec>>;

export const benchOptions = z.object({
  rows: positiveIntFlag.default(1_000_000),
  runs: positiveIntFlag.default(3),
  formats: z
    .string()
    .default('csv,parquet')
    .transform((v) => v.split(','))
    .pipe(z.array(z.enum(['csv', 'parquet'], { error: 'expected csv and/or parquet' })).min(1)),
  files: positiveIntFlag.default(4),
  compression: z.enum(['none', 'gzip'], { error: 'expected none or gzip' }).default('none'),
  scaling: z.boolean().default(false),
  'node-args': z.string().default(''),
});
export type BenchOptions = z.infer<typeof benchOptions>;

export const TARGETS = { ratio: 1.3, peakRssMb: 300, minRuns: 3 } as const;

/** One interleaved round of a format: each measured once. */
export interface Round {
  scorer: { rowsPerSecond: number; peakRssMb: number };
  peer: { rowsPerSecond: number; peakRssMb: number };
  producerPerformance: number;
  /** --scaling: the scorer with 1 and 2 pipelines. */
  pipelines?: Record<string, number>;
}

export interface Spread {
  min: number;
  median: number;
  max: number;
}

export function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { min: sorted[0], median, max: sorted[sorted.length - 1] };
}

export interface FormatSummary {
  format: string;
  scorer: Spread;
  peer: Spread;
  /** Of each round's pair (the runs next to each other share the machine's load). */
  ratio: Spread;
  producerPerformance: Spread;
  scorerRss: Spread;
  peerRss: Spread;
  pipelines?: Record<string, Spread>;
}

export function summarize(format: string, rounds: Round[]): FormatSummary {
  const pipelines = rounds[0]?.pipelines ? Object.fromEntries(Object.keys(rounds[0].pipelines).map((k) => [k, spread(rounds.map((r) => r.pipelines![k]))])) : undefined;
  return {
    format,
    scorer: spread(rounds.map((r) => r.scorer.rowsPerSecond)),
    peer: spread(rounds.map((r) => r.peer.rowsPerSecond)),
    ratio: spread(rounds.map((r) => r.scorer.rowsPerSecond / r.peer.rowsPerSecond)),
    producerPerformance: spread(rounds.map((r) => r.producerPerformance)),
    scorerRss: spread(rounds.map((r) => r.scorer.peakRssMb)),
    peerRss: spread(rounds.map((r) => r.peer.peakRssMb)),
    ...(pipelines ? { pipelines } : {}),
  };
}

/** The targets a summary misses, as sentences (empty: all met). */
export function missedTargets(summary: FormatSummary, runs: number): string[] {
  const missed: string[] = [];
  if (runs < TARGETS.minRuns) missed.push(`${summary.format}: ${runs} run(s), the targets need at least ${TARGETS.minRuns}`);
  if (summary.ratio.median < TARGETS.ratio) missed.push(`${summary.format}: scorer/peer rows/s median ${summary.ratio.median.toFixed(2)} < ${TARGETS.ratio}`);
  if (summary.scorerRss.max > TARGETS.peakRssMb) missed.push(`${summary.format}: scorer peak RSS ${summary.scorerRss.max.toFixed(0)} MB > ${TARGETS.peakRssMb} MB`);
  return missed;
}

const n = (v: number) => Math.round(v).toLocaleString('en-US');
const triple = (s: Spread, f: (v: number) => string = n) => `${f(s.min)} / ${f(s.median)} / ${f(s.max)}`;

/** The side-by-side table: min / median / max of each figure, per format. */
export function formatTable(summaries: FormatSummary[]): string[] {
  const lines = ['figure (min / median / max)'.padEnd(40) + summaries.map((s) => s.format.padEnd(40)).join('')];
  const row = (label: string, pick: (s: FormatSummary) => string) => lines.push(label.padEnd(40) + summaries.map((s) => pick(s).padEnd(40)).join(''));
  row('scorer rows/s', (s) => triple(s.scorer));
  row('Python peer rows/s', (s) => triple(s.peer));
  row(`ratio scorer/peer (target >= ${TARGETS.ratio})`, (s) => triple(s.ratio, (v) => v.toFixed(2)));
  row('ProducerPerformance records/s', (s) => triple(s.producerPerformance));
  row('ratio scorer/ProducerPerformance', (s) => (s.scorer.median / s.producerPerformance.median).toFixed(2));
  row(`scorer peak RSS MB (target <= ${TARGETS.peakRssMb})`, (s) => triple(s.scorerRss));
  row('Python peer peak RSS MB', (s) => triple(s.peerRss));
  for (const k of Object.keys(summaries[0]?.pipelines ?? {})) row(`scorer rows/s, ${k} pipeline(s)`, (s) => (s.pipelines?.[k] ? triple(s.pipelines[k]) : '-'));
  return lines;
}
