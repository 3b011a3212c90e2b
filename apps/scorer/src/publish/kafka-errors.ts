// Kafka failures that no retry can fix: the broker refused who we are (SASL), we refused who the broker is (TLS),
// or the broker refused what we asked (ACLs). Each becomes a ScorerError with its own code, a message naming the
// mechanism, the brokers and the fix, and retryable=false, so the manifest and the operator see the real cause
// instead of "failed after retries".
import type { KafkaConfig } from '../config/schema';
import { ScorerError } from '../errors';

export type KafkaSecurityCode = 'KAFKA_AUTHENTICATION_FAILED' | 'KAFKA_TLS_UNTRUSTED' | 'KAFKA_AUTHORIZATION_FAILED';

export class KafkaSecurityError extends ScorerError {
  constructor(code: KafkaSecurityCode, message: string, cause: unknown) {
    super(code, message, { retryable: false, cause });
  }
}

// Node's certificate verification errors (tls.connect → error.code): the peer's chain or name is not acceptable.
const TLS_TRUST_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

const AUTHORIZATION_TYPES = new Set([
  'TOPIC_AUTHORIZATION_FAILED',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'GROUP_AUTHORIZATION_FAILED',
]);

/**
 * Authorization errors the broker answered that kafkajs logs but does not pass on: looking up the transaction
 * coordinator for a transactional id the user may not use ends in "Failed to find group coordinator", the broker's
 * TRANSACTIONAL_ID_AUTHORIZATION_FAILED only in kafkajs' log. The publisher notes each logged error here.
 */
export class BrokerRefusals {
  private last: { type: string; message: string } | undefined;

  note(logged: unknown): void {
    if (typeof logged !== 'string') return;
    const type = /transactional id authorization/i.test(logged)
      ? 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED'
      : /group authorization/i.test(logged)
        ? 'GROUP_AUTHORIZATION_FAILED'
        : /cluster authorization/i.test(logged)
          ? 'CLUSTER_AUTHORIZATION_FAILED'
          : /not authorized to access topics|topic authorization/i.test(logged)
            ? 'TOPIC_AUTHORIZATION_FAILED'
            : undefined;
    if (type) this.last = { type, message: logged };
  }

  get lastRefusal(): { type: string; message: string } | undefined {
    return this.last;
  }
}

interface KafkaLikeError {
  name?: string;
  message?: string;
  code?: string;
  type?: string;
  cause?: unknown;
  originalError?: unknown;
  errors?: unknown[];
}

// The three kinds of failure no retry can fix, as kafkajs and Node report them (one definition for both functions below).
const isSaslRejection = (e: KafkaLikeError) => e.name === 'KafkaJSSASLAuthenticationError';
const isUntrustedTls = (e: KafkaLikeError) => e.code !== undefined && TLS_TRUST_CODES.has(e.code);
const isAclDenial = (e: KafkaLikeError) => e.type !== undefined && AUTHORIZATION_TYPES.has(e.type);

/** The error and everything it wraps (kafkajs nests through `cause`, `originalError`, and `errors` of an aggregate). */
function chain(error: unknown): KafkaLikeError[] {
  const seen: KafkaLikeError[] = [];
  const visit = (current: unknown) => {
    if (current === null || typeof current !== 'object' || seen.includes(current as KafkaLikeError) || seen.length >= 20) return;
    const e = current as KafkaLikeError;
    seen.push(e);
    visit(e.cause ?? e.originalError);
    for (const inner of e.errors ?? []) visit(inner);
  };
  visit(error);
  return seen;
}

function mechanismOf(config: Pick<KafkaConfig, 'auth'>): string {
  switch (config.auth.kind) {
    case 'scram-sha-256':
      return 'SASL/SCRAM-SHA-256';
    case 'scram-sha-512':
      return 'SASL/SCRAM-SHA-512';
    case 'msk-iam':
      return 'SASL/OAUTHBEARER (MSK IAM)';
    case 'none':
      return 'no SASL';
  }
}

/** The non-retryable security failure inside `error`, or undefined when it is something else (then retrying may help). */
export function kafkaSecurityFailure(
  error: unknown,
  config: Pick<KafkaConfig, 'brokers' | 'topic' | 'dlqTopic' | 'auth' | 'tls' | 'caPem' | 'transactionalId'> & { runsTopic?: string },
  refusals?: BrokerRefusals,
): KafkaSecurityError | undefined {
  const errors = chain(error);
  // kafkajs lost the broker's answer on the way (see BrokerRefusals): the refusal it logged is the cause.
  const lost = errors.some((e) => e.name === 'KafkaJSGroupCoordinatorNotFound') ? refusals?.lastRefusal : undefined;
  if (lost) errors.push(lost);
  const at = `Kafka at ${config.brokers.join(',')}`;

  const sasl = errors.find(isSaslRejection);
  if (sasl) {
    const credentials =
      config.auth.kind === 'msk-iam'
        ? 'the IAM role needs kafka-cluster:Connect on the cluster'
        : config.auth.kind === 'none'
          ? 'the broker requires SASL: set KAFKA_AUTH and KAFKA_SASL_SECRET_ARN'
          : `the user name and password in ${config.auth.secretArn} are not accepted by the broker: fix the secret or the user on the cluster`;
    return new KafkaSecurityError('KAFKA_AUTHENTICATION_FAILED', `${mechanismOf(config)} authentication to ${at} failed (${sasl.message}): ${credentials}`, error);
  }

  const tls = errors.find(isUntrustedTls);
  if (tls) {
    const fix =
      tls.code === 'ERR_TLS_CERT_ALTNAME_INVALID'
        ? "the broker's certificate does not name the host in KAFKA_BROKERS: connect by a name the certificate lists"
        : config.caPem === undefined
          ? "its certificate does not chain to a CA in Node's trust store: pass the CA that signed it with KAFKA_CA_FILE (environment: kafka.caCertificateUri)"
          : "its certificate does not chain to the CA in KAFKA_CA_FILE: pass the CA that signed the brokers' certificates";
    return new KafkaSecurityError('KAFKA_TLS_UNTRUSTED', `TLS to ${at} failed, the broker is not trusted (${tls.code}: ${(tls.message ?? '').replace(/^Connection error: /, '')}): ${fix}`, error);
  }

  const denied = errors.find(isAclDenial);
  if (denied) {
    const who = config.auth.kind === 'scram-sha-256' || config.auth.kind === 'scram-sha-512' ? `the user of ${config.auth.secretArn}` : 'this client';
    const grant =
      denied.type === 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED'
        ? `WRITE and DESCRIBE on transactional id ${config.transactionalId ?? '(none)'} and its pipelines' ${config.transactionalId ?? '(none)'}.<k> (or their prefix)`
        : denied.type === 'GROUP_AUTHORIZATION_FAILED'
          ? 'READ on the consumer group'
          : denied.type === 'CLUSTER_AUTHORIZATION_FAILED'
            ? 'the cluster permission the request needs'
            : `WRITE on topics ${config.topic}, ${config.dlqTopic}${config.runsTopic ? ` and ${config.runsTopic}` : ''}`;
    return new KafkaSecurityError('KAFKA_AUTHORIZATION_FAILED', `${at} denied the request (${denied.type}: ${denied.message}): ${who} needs ${grant}`, error);
  }
  return undefined;
}

/** True when `error` is a failure no retry can fix (SASL rejected, TLS untrusted, ACL denied), for any Kafka client. */
export function isKafkaSecurityFailure(error: unknown): boolean {
  return chain(error).some((e) => isSaslRejection(e) || isUntrustedTls(e) || isAclDenial(e));
}
