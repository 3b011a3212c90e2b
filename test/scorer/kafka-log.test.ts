import { logLevel } from 'kafkajs';
import { kafkaLogCreator } from '../../apps/scorer/src/publish/kafka-log';

function logged(entries: Array<{ level: logLevel; message: string; error?: string }>) {
  const lines: Array<[string, unknown]> = [];
  const log = kafkaLogCreator({ warn: (_, f) => lines.push(['warn', f?.message]), error: (_, f) => lines.push(['error', f?.message]) })(logLevel.WARN);
  for (const { level, ...entry } of entries) log({ namespace: 'Connection', level, label: '', log: { timestamp: '', ...entry } });
  return lines;
}

describe('kafkajs log lines', () => {
  it('leave out the retried errors of a fresh broker and the bounded-retries warning of a healthy run', () => {
    expect(
      logged([
        { level: logLevel.ERROR, message: 'Response GroupCoordinator(key: 10, version: 2)', error: 'The group coordinator is not available' },
        { level: logLevel.ERROR, message: 'Response InitProducerId(key: 22, version: 1)', error: "The coordinator is loading and hence can't process requests for this group" },
        { level: logLevel.WARN, message: 'Limiting retries for the idempotent producer may invalidate EoS guarantees' },
      ]),
    ).toEqual([]);
  });

  it('keep errors that are not retried and everything else kafkajs warns about', () => {
    expect(
      logged([
        { level: logLevel.ERROR, message: 'Response InitProducerId(key: 22, version: 1)', error: 'The transaction timeout is larger than the maximum value allowed by the broker (as configured by transaction.max.timeout.ms)' },
        { level: logLevel.ERROR, message: 'Connection error: connect ECONNREFUSED 127.0.0.1:9092' },
        { level: logLevel.WARN, message: 'Response Produce(key: 0, version: 7)' },
      ]),
    ).toEqual([
      ['error', 'Response InitProducerId(key: 22, version: 1)'],
      ['error', 'Connection error: connect ECONNREFUSED 127.0.0.1:9092'],
      ['warn', 'Response Produce(key: 0, version: 7)'],
    ]);
  });
});
