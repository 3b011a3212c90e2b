// Rendering of the single-node KRaft broker's configuration. Pure functions, unit tested.
export interface KafkaConfigInput {
  port: number;
  controllerPort: number;
  logDir: string;
  host?: string;
  /** The secured mode: SASL_SSL for clients, mutual TLS between broker and controller, ACLs. */
  secure?: KafkaSecureConfig;
}

export interface KafkaSecureConfig {
  keystore: string;
  truststore: string;
  storePassword: string;
  /** The broker certificate's subject: the principal the broker has on the mTLS controller listener. */
  brokerDn: string;
  /** SCRAM user the broker authenticates as on its own SASL_SSL listener (transaction markers go there). */
  admin: { username: string; password: string };
}

/**
 * The secured listeners. Clients get SASL_SSL with SCRAM-SHA-512 only (no plaintext port: a client that does not
 * authenticate has nowhere to go). SCRAM cannot authenticate the KRaft controller listener (the controller holds
 * the credentials), so broker and controller authenticate each other with TLS client certificates there. Both the
 * admin user and the broker certificate are super users; everyone else gets exactly the ACLs granted to them.
 */
function secureProperties(host: string, port: number, controllerPort: number, s: KafkaSecureConfig): Record<string, string | number | boolean> {
  const jaas = `org.apache.kafka.common.security.scram.ScramLoginModule required username="${s.admin.username}" password="${s.admin.password}";`;
  return {
    listeners: `SASL_SSL://${host}:${port},CONTROLLER://${host}:${controllerPort}`,
    'advertised.listeners': `SASL_SSL://${host}:${port}`,
    'inter.broker.listener.name': 'SASL_SSL',
    'listener.security.protocol.map': 'SASL_SSL:SASL_SSL,CONTROLLER:SSL',
    'sasl.enabled.mechanisms': 'SCRAM-SHA-512',
    'sasl.mechanism.inter.broker.protocol': 'SCRAM-SHA-512',
    'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config': jaas,
    'listener.name.controller.ssl.client.auth': 'required',
    'ssl.keystore.type': 'PKCS12',
    'ssl.keystore.location': s.keystore,
    'ssl.keystore.password': s.storePassword,
    'ssl.truststore.type': 'PKCS12',
    'ssl.truststore.location': s.truststore,
    'ssl.truststore.password': s.storePassword,
    'ssl.endpoint.identification.algorithm': 'https',
    'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    'super.users': `User:${s.admin.username};User:${s.brokerDn}`,
    'allow.everyone.if.no.acl.found': false,
  };
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
    ...(input.secure ? secureProperties(host, input.port, input.controllerPort, input.secure) : {}),
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

/** `kafka-storage format --add-scram` arguments: SCRAM-SHA-512 credentials written into the metadata at format time. */
export function scramFormatArgs(users: readonly { username: string; password: string }[]): string[] {
  return users.flatMap((u) => ['--add-scram', `SCRAM-SHA-512=[name=${u.username},password=${u.password}]`]);
}
