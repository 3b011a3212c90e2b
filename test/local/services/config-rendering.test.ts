import { endpointsToEnv, renderExportLine } from '../../../scripts/local/services/env';
import { newClusterId, renderServerProperties } from '../../../scripts/local/services/kafka-config';
import { mlflowServerArgs } from '../../../scripts/local/services/mlflow';

function parseProperties(text: string): Record<string, string> {
  return Object.fromEntries(text.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

describe('Kafka broker configuration', () => {
  const props = parseProperties(renderServerProperties({ port: 19092, controllerPort: 19093, logDir: '/tmp/kafka-data' }));

  it('runs one KRaft node as broker and controller on loopback ports', () => {
    expect(props['process.roles']).toBe('broker,controller');
    expect(props['controller.quorum.voters']).toBe('1@127.0.0.1:19093');
    expect(props.listeners).toBe('PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093');
    expect(props['advertised.listeners']).toBe('PLAINTEXT://127.0.0.1:19092');
    expect(props['log.dirs']).toBe('/tmp/kafka-data');
  });

  it('lets transactions work on a single broker', () => {
    expect(props['transaction.state.log.replication.factor']).toBe('1');
    expect(props['transaction.state.log.min.isr']).toBe('1');
    expect(props['offsets.topic.replication.factor']).toBe('1');
  });

  it('never creates topics implicitly', () => {
    expect(props['auto.create.topics.enable']).toBe('false');
  });

  it('formats storage with a 22-character URL-safe cluster id', () => {
    const id = newClusterId(() => Buffer.alloc(16, 0xff));
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});

describe('MLflow server arguments', () => {
  const args = mlflowServerArgs('/data/mlflow', 5123);
  const flag = (name: string) => args[args.indexOf(name) + 1];

  it('uses a SQLite store in the run folder and serves artifacts from it', () => {
    expect(flag('--backend-store-uri')).toBe('sqlite:////data/mlflow/mlflow.db');
    expect(args).toContain('--serve-artifacts');
    expect(flag('--artifacts-destination')).toBe('/data/mlflow/artifacts');
  });

  it('listens on loopback with one worker and accepts both loopback host names', () => {
    expect(flag('--host')).toBe('127.0.0.1');
    expect(flag('--port')).toBe('5123');
    expect(flag('--workers')).toBe('1');
    expect(flag('--allowed-hosts')?.split(',')).toEqual(expect.arrayContaining(['127.0.0.1:5123', 'localhost:5123']));
  });
});

describe('environment of the services', () => {
  it('exports brokers, tracking URI, emulator endpoint, region and test credentials', () => {
    const env = endpointsToEnv({
      kafka: { brokers: ['127.0.0.1:1', '127.0.0.1:2'] },
      mlflow: { trackingUri: 'http://127.0.0.1:3' },
      aws: { endpointUrl: 'http://127.0.0.1:4', region: 'us-east-1', accountId: '123456789012' },
    });
    expect(env).toEqual({
      KAFKA_BROKERS: '127.0.0.1:1,127.0.0.1:2',
      MLFLOW_TRACKING_URI: 'http://127.0.0.1:3',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:4',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
    });
  });

  it('exports only the variables of the services that were started', () => {
    expect(Object.keys(endpointsToEnv({ mlflow: { trackingUri: 'http://127.0.0.1:3' } }))).toEqual(['MLFLOW_TRACKING_URI']);
  });

  it('renders an export line a shell reads back literally', () => {
    expect(renderExportLine({ A: 'x', B: "it's" })).toBe(`export A='x' B='it'\\''s'`);
  });
});
