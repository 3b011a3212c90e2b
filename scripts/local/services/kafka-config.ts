// Rendering of the single-node KRaft broker's configuration. Pure functions, unit tested.
export interface KafkaConfigInput {
  port: number;
  controllerPort: number;
  logDir: string;
  host?: string;
}

export function renderServerProperties(input: KafkaConfigInput): string {
  const host = input.host ?? '127.0.0.1';
  const props: Record<string, string | number | boolean> = {
    // One process is both broker and controller (KRaft combined mode), enough for local runs and tests.
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@${host}:${input.controllerPort}`,
    listeners: `PLAINTEXT://${host}:${input.port},CONTROLLER://${host}:${input.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${host}:${input.port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': input.logDir,
    'num.partitions': 1,
    'default.replication.factor': 1,
    // With one broker the internal topics can only have one replica; without these, transactions never start.
    'offsets.topic.replication.factor': 1,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'min.insync.replicas': 1,
    // Fewer internal partitions: the first consumer group and transaction start much faster on a small machine.
    'offsets.topic.num.partitions': 5,
    'transaction.state.log.num.partitions': 5,
    // Topics exist only when someone creates them (the scorer does so only when told to).
    'auto.create.topics.enable': false,
    'group.initial.rebalance.delay.ms': 0,
    'num.network.threads': 2,
    'num.io.threads': 4,
    'log.retention.hours': 24,
    'log.segment.bytes': 64 * 1024 * 1024,
  };
  return Object.entries(props).map(([k, v]) => `${k}=${String(v)}`).join('\n') + '\n';
}

/** reload4j configuration: everything to stdout (which goes to the service's log file), quiet defaults. */
export function renderLog4jProperties(level: 'INFO' | 'WARN' = 'INFO', target: 'System.out' | 'System.err' = 'System.out'): string {
  return [
    `log4j.rootLogger=${level}, out`,
    'log4j.appender.out=org.apache.log4j.ConsoleAppender',
    `log4j.appender.out.Target=${target}`,
    'log4j.appender.out.layout=org.apache.log4j.PatternLayout',
    'log4j.appender.out.layout.ConversionPattern=[%d] %p %m (%c)%n',
    'log4j.logger.kafka=INFO',
    'log4j.logger.org.apache.kafka=WARN',
    'log4j.logger.kafka.request.logger=WARN',
    'log4j.logger.state.change.logger=WARN',
    '',
  ].join('\n');
}

/** A Kafka cluster id: 16 random bytes, URL-safe base64 without padding (what `StorageTool random-uuid` prints). */
export function newClusterId(randomBytes: (n: number) => Buffer): string {
  return randomBytes(16).toString('base64url');
}

export const KAFKA_HEAP_OPTS = ['-Xms128m', '-Xmx512m'];
