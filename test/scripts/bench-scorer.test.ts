import { validateOptions } from '../../scripts/cli/args';
import { Round, benchOptions, formatTable, missedTargets, spread, summarize } from '../../scripts/bench/scorer-report';
import { main } from '../../scripts/bench/scorer';

const round = (scorer: number, peer: number, rss = 250): Round => ({
  scorer: { rowsPerSecond: scorer, peakRssMb: rss },
  peer: { rowsPerSecond: peer, peakRssMb: 300 },
  producerPerformance: 200_000,
});

describe('npm run bench:scorer', () => {
  it('takes its defaults and refuses unknown formats', () => {
    expect(validateOptions(benchOptions, {})).toMatchObject({ rows: 1_000_000, runs: 3, formats: ['csv', 'parquet'], compression: 'none', scaling: false });
    expect(() => validateOptions(benchOptions, { formats: 'csv,orc' })).toThrow(/csv and\/or parquet/);
  });

  it('exits 2 on an unknown flag without measuring anything', async () => {
    const err: string[] = [];
    const code = await main(['--bogus'], { out: () => undefined, err: (line) => err.push(line) });
    expect(code).toBe(2);
    expect(err.join('\n')).toMatch(/--bogus/);
  });

  it('takes min, median and max of each figure, and the ratio per interleaved pair', () => {
    expect(spread([3, 1, 2])).toEqual({ min: 1, median: 2, max: 3 });
    const summary = summarize('csv', [round(100, 50), round(90, 100), round(130, 100)]);
    expect(summary.ratio).toEqual({ min: 0.9, median: 1.3, max: 2 });
    expect(formatTable([summary]).join('\n')).toMatch(/ratio scorer\/peer \(target >= 1\.3\)\s+0\.90 \/ 1\.30 \/ 2\.00/);
  });

  it('reports each missed target: the ratio below 1.3, the peak RSS above 300 MB, fewer than 3 runs', () => {
    expect(missedTargets(summarize('csv', [round(130, 100), round(140, 100), round(150, 100)]), 3)).toEqual([]);
    expect(missedTargets(summarize('parquet', [round(120, 100, 320)]), 1)).toEqual([
      'parquet: 1 run(s), the targets need at least 3',
      'parquet: scorer/peer rows/s median 1.20 < 1.3',
      'parquet: scorer peak RSS 320 MB > 300 MB',
    ]);
  });
});
