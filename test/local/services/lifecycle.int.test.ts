// The services API itself: a stopped broker comes back on the same port with its data, stop() leaves no
// process or folder behind, and a busy configured port fails before anything starts.
import fs from 'node:fs';
import net from 'node:net';
import { Kafka, logLevel } from 'kafkajs';
import { startServices, type RunningServices } from '../../../scripts/local/services';
import { isAlive } from '../../../scripts/local/services/processes';
import { listRuns } from '../../../scripts/local/services/run-registry';
import { defaultBaseDir } from '../../../scripts/local/services/paths';
import { uniqueName } from '../../support/services';

jest.setTimeout(180_000);

const quietLog = () => undefined;

function pidsOf(services: RunningServices): number[] {
  const run = listRuns(defaultBaseDir).find((r) => r.dir === services.runDir);
  return Object.values(run?.pids ?? {});
}

async function brokerAnswers(brokers: string[]): Promise<boolean> {
  const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 1_000 }).admin();
  try {
    await admin.connect();
    await admin.describeCluster();
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

describe('startServices', () => {
  it('restarts a stopped broker on the same port with its topics and committed records', async () => {
    const services = await startServices({ only: ['kafka'], log: quietLog });
    try {
      const brokers = services.endpoints.kafka?.brokers ?? [];
      const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING });
      const topic = uniqueName('restart');
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic }], waitForLeaders: true });
      await admin.disconnect();
      const producer = kafka.producer({ idempotent: true });
      await producer.connect();
      await producer.send({ topic, messages: [{ value: 'before-restart' }] });
      await producer.disconnect();

      await services.stopService('kafka');
      expect(await brokerAnswers(brokers)).toBe(false);

      await services.startService('kafka');
      expect(services.endpoints.kafka?.brokers).toEqual(brokers);
      const again = kafka.admin();
      await again.connect();
      const offsets = await again.fetchTopicOffsets(topic);
      await again.disconnect();
      expect(offsets).toEqual([expect.objectContaining({ partition: 0, high: '1' })]);
    } finally {
      await services.stop();
    }
  });

  it('leaves no process and no run folder behind after stop()', async () => {
    const services = await startServices({ only: ['aws'], log: quietLog });
    const pids = pidsOf(services);
    expect(pids.length).toBeGreaterThan(0);
    expect(pids.every(isAlive)).toBe(true);
    await services.stop();
    expect(pids.some(isAlive)).toBe(false);
    expect(fs.existsSync(services.runDir)).toBe(false);
  });

  it('refuses a busy configured port before starting anything', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as net.AddressInfo).port;
    const runsBefore = listRuns(defaultBaseDir).length;
    try {
      await expect(startServices({ only: ['aws', 'mlflow'], ports: { mlflow: port }, log: quietLog })).rejects.toMatchObject({
        code: 'PORT_BUSY',
        message: expect.stringContaining(`port ${port} configured for mlflow`),
      });
      expect(listRuns(defaultBaseDir).length).toBeLessThanOrEqual(runsBefore);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
