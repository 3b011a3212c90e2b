// The secured mode of the local services: what a caller asks for (topics, who may write and read them) and what
// a run generates for it (TLS material, users and passwords). Pure functions except newSecurity(), unit tested.
// Shaped like what a Kafka team and an MLflow admin hand an application in a real account: a TLS endpoint and
// its CA, one SCRAM user per role with ACLs on exactly its topics, an MLflow user, all credentials in Secrets
// Manager. Nothing here names an application: callers pass the topics and prefixes.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes, type AclEntry } from 'kafkajs';
import { LocalServicesError } from './errors';
import type { TlsMaterial } from './tls';

/** `startServices({ secure })`: `true` for the defaults (no topic grants), or the grants the run needs. */
export interface SecureOptions {
  kafka?: SecureKafkaOptions;
}

export interface SecureKafkaOptions {
  /**
   * Topics the admin creates once the broker is up: provisioned, as in AWS, where the Kafka team creates the
   * topics. The producer user may not create topics.
   */
  topics?: readonly string[];
  /** Partitions of those topics (default 3). */
  partitions?: number;
  /** What the producer user may do: write these topics (a name, or a prefix ending in `*`) with this transactional id prefix. */
  producer?: { topics: readonly string[]; transactionalIdPrefix: string };
  /** What the consumer user may do: read these topics (name or `prefix*`) in consumer groups with this prefix. */
  consumer?: { topics: readonly string[]; groupPrefix: string };
}

export interface Credentials {
  username: string;
  password: string;
}

export const SCRAM_MECHANISM = 'SCRAM-SHA-512';

/** Everything a secured run generated: certificates, users and passwords. Never logged, never in env() except as documented. */
export interface SecuritySettings {
  tls: TlsMaterial;
  kafka: {
    admin: Credentials;
    producer: Credentials;
    consumer: Credentials;
    topics: readonly string[];
    partitions: number;
    producerGrants: { topics: readonly string[]; transactionalIdPrefix: string } | undefined;
    consumerGrants: { topics: readonly string[]; groupPrefix: string } | undefined;
  };
  /** `flaskSecretKey` signs the basic-auth app's CSRF tokens; one per run, kept across restarts. */
  mlflow: { admin: Credentials; app: Credentials; flaskSecretKey: string };
}

const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;
const TOPIC_PATTERN = /^[A-Za-z0-9._-]{1,249}\*?$/;
const ID_PREFIX = /^[A-Za-z0-9._-]*$/;

/** Random, URL-safe, long enough for SCRAM and MLflow's password rules. */
export function newPassword(): string {
  return crypto.randomBytes(24).toString('base64url');
}

export function newSecurity(tls: TlsMaterial, options: SecureOptions = {}, password: () => string = newPassword): SecuritySettings {
  const kafka = options.kafka ?? {};
  const problems: string[] = [];
  for (const topic of kafka.topics ?? []) if (!TOPIC.test(topic)) problems.push(`secure.kafka.topics: '${topic}' is not a Kafka topic name`);
  for (const [who, topics] of [['producer', kafka.producer?.topics], ['consumer', kafka.consumer?.topics]] as const) {
    for (const topic of topics ?? []) if (!TOPIC_PATTERN.test(topic)) problems.push(`secure.kafka.${who}.topics: '${topic}' is neither a topic name nor a prefix ending in '*'`);
  }
  if (kafka.producer && !ID_PREFIX.test(kafka.producer.transactionalIdPrefix)) problems.push('secure.kafka.producer.transactionalIdPrefix: letters, digits, . _ - only');
  if (kafka.consumer && !ID_PREFIX.test(kafka.consumer.groupPrefix)) problems.push('secure.kafka.consumer.groupPrefix: letters, digits, . _ - only');
  const partitions = kafka.partitions ?? 3;
  if (!Number.isInteger(partitions) || partitions < 1) problems.push('secure.kafka.partitions: must be a whole number from 1');
  if (problems.length > 0) throw new LocalServicesError('INVALID_ARGUMENT', `invalid secure options:\n  ${problems.join('\n  ')}`);
  return {
    tls,
    kafka: {
      admin: { username: 'admin', password: password() },
      producer: { username: 'producer', password: password() },
      consumer: { username: 'consumer', password: password() },
      topics: [...(kafka.topics ?? [])],
      partitions,
      producerGrants: kafka.producer,
      consumerGrants: kafka.consumer,
    },
    mlflow: { admin: { username: 'admin', password: password() }, app: { username: 'app', password: password() }, flaskSecretKey: password() },
  };
}

const pattern = (name: string) =>
  name.endsWith('*')
    ? { resourceName: name.slice(0, -1), resourcePatternType: ResourcePatternTypes.PREFIXED }
    : { resourceName: name, resourcePatternType: ResourcePatternTypes.LITERAL };

const allow = (principal: string, resourceType: AclResourceTypes, name: string, operation: AclOperationTypes): AclEntry => ({
  resourceType,
  ...pattern(name),
  principal,
  host: '*',
  operation,
  permissionType: AclPermissionTypes.ALLOW,
});

/**
 * The ACLs of the producer and consumer users (the admin is a super user). Kafka implies DESCRIBE from WRITE and
 * READ, and lets a producer with WRITE on a topic be idempotent (KIP-679), so these are all a transactional
 * producer and a read_committed consumer need. Nothing else is allowed: no CREATE, no ALTER, no other topic.
 */
export function kafkaAcls(security: SecuritySettings): AclEntry[] {
  const { producer, consumer, producerGrants, consumerGrants } = security.kafka;
  const acls: AclEntry[] = [];
  if (producerGrants) {
    const principal = `User:${producer.username}`;
    for (const topic of producerGrants.topics) acls.push(allow(principal, AclResourceTypes.TOPIC, topic, AclOperationTypes.WRITE));
    // WRITE lets it add partitions to its transactions and commit them; DESCRIBE lets it find the coordinator.
    for (const operation of [AclOperationTypes.WRITE, AclOperationTypes.DESCRIBE]) {
      acls.push(allow(principal, AclResourceTypes.TRANSACTIONAL_ID, `${producerGrants.transactionalIdPrefix}*`, operation));
    }
  }
  if (consumerGrants) {
    const principal = `User:${consumer.username}`;
    for (const topic of consumerGrants.topics) acls.push(allow(principal, AclResourceTypes.TOPIC, topic, AclOperationTypes.READ));
    // READ joins and commits offsets in its groups; DELETE lets a reader remove the group it created when done.
    for (const operation of [AclOperationTypes.READ, AclOperationTypes.DELETE]) {
      acls.push(allow(principal, AclResourceTypes.GROUP, `${consumerGrants.groupPrefix}*`, operation));
    }
  }
  return acls;
}

/** kafkajs connection options of one of the run's users: TLS trusting the local CA, SASL/SCRAM-SHA-512. */
export function kafkaClientAuth(security: SecuritySettings, user: Credentials) {
  return {
    ssl: { ca: [fs.readFileSync(security.tls.caFile, 'utf8')] },
    sasl: { mechanism: 'scram-sha-512' as const, username: user.username, password: user.password },
  };
}

/** Properties file for Kafka's own tools (console consumer, ProducerPerformance) connecting as a user of the run. */
export function renderClientProperties(security: SecuritySettings, user: Credentials): string {
  return [
    'security.protocol=SASL_SSL',
    `sasl.mechanism=${SCRAM_MECHANISM}`,
    `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${user.username}" password="${user.password}";`,
    `ssl.truststore.type=PEM`,
    `ssl.truststore.location=${security.tls.caFile}`,
    '',
  ].join('\n');
}
