// The secured mode's configuration, rendered without starting anything: listeners, ACLs, auth config, exported
// variables. The integration suite test/security/secure-transports.int.test.ts proves them on the real services.
import { AclOperationTypes, AclResourceTypes, ResourcePatternTypes } from 'kafkajs';
import { endpointsToEnv, endpointsToLocalEnvironment, redact } from '../../../scripts/local/services/env';
import { renderServerProperties, scramFormatArgs } from '../../../scripts/local/services/kafka-config';
import { mlflowServerArgs, renderAuthConfig } from '../../../scripts/local/services/mlflow';
import { kafkaAcls, newSecurity, renderClientProperties } from '../../../scripts/local/services/security';
import type { TlsMaterial } from '../../../scripts/local/services/tls';
import type { Endpoints } from '../../../scripts/local/services/types';

const tls: TlsMaterial = {
  caFile: '/tls/ca.pem',
  keystore: '/tls/broker.p12',
  truststore: '/tls/truststore.p12',
  storePassword: 'store-pass',
  brokerDn: 'CN=kafka-broker',
  notAfter: '2029-01-01T00:00:00.000Z',
};
let counter = 0;
const security = newSecurity(
  tls,
  {
    kafka: {
      topics: ['env.predictions', 'env.predictions.dlq'],
      producer: { topics: ['env.predictions', 'env.predictions.dlq'], transactionalIdPrefix: 'ml-platform-scorer.env.predictions.' },
      consumer: { topics: ['env.*'], groupPrefix: 'topic-reader-' },
    },
  },
  () => `pw-${++counter}`,
);

function parseProperties(text: string): Record<string, string> {
  return Object.fromEntries(text.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

describe('the secured Kafka broker', () => {
  const props = parseProperties(
    renderServerProperties({
      port: 19092,
      controllerPort: 19093,
      logDir: '/data',
      secure: { keystore: tls.keystore, truststore: tls.truststore, storePassword: tls.storePassword, brokerDn: tls.brokerDn, admin: security.kafka.admin },
    }),
  );

  it('offers clients SASL_SSL only, and broker and controller authenticate each other with certificates', () => {
    expect(props.listeners).toBe('SASL_SSL://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093');
    expect(props['advertised.listeners']).toBe('SASL_SSL://127.0.0.1:19092');
    expect(props['listener.security.protocol.map']).toBe('SASL_SSL:SASL_SSL,CONTROLLER:SSL');
    expect(props['listener.name.controller.ssl.client.auth']).toBe('required');
    expect(props['sasl.enabled.mechanisms']).toBe('SCRAM-SHA-512');
    expect(props['ssl.keystore.location']).toBe('/tls/broker.p12');
    expect(props['ssl.endpoint.identification.algorithm']).toBe('https');
  });

  it('authorizes with ACLs: only the admin and the broker itself are super users, nothing is allowed by default', () => {
    expect(props['authorizer.class.name']).toBe('org.apache.kafka.metadata.authorizer.StandardAuthorizer');
    expect(props['super.users']).toBe('User:admin;User:CN=kafka-broker');
    expect(props['allow.everyone.if.no.acl.found']).toBe('false');
    expect(props['listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config']).toContain(`username="admin" password="${security.kafka.admin.password}"`);
  });

  it('creates every user\'s SCRAM-SHA-512 credentials when the storage is formatted', () => {
    expect(scramFormatArgs([security.kafka.admin, security.kafka.producer])).toEqual([
      '--add-scram',
      `SCRAM-SHA-512=[name=admin,password=${security.kafka.admin.password}]`,
      '--add-scram',
      `SCRAM-SHA-512=[name=producer,password=${security.kafka.producer.password}]`,
    ]);
  });

  it('stays plaintext without ACLs when not secured', () => {
    const plain = parseProperties(renderServerProperties({ port: 1, controllerPort: 2, logDir: '/d' }));
    expect(plain.listeners).toBe('PLAINTEXT://127.0.0.1:1,CONTROLLER://127.0.0.1:2');
    expect(plain['authorizer.class.name']).toBeUndefined();
  });
});

describe('the ACLs of the producer and consumer users', () => {
  // kafkajs' enums are plain objects at run time: name a value by looking it up.
  const name = (values: object, value: number) => Object.entries(values).find(([, v]) => v === value)?.[0];
  const acls = kafkaAcls(security).map(
    (a) => `${a.principal} ${name(AclOperationTypes, a.operation)} ${name(AclResourceTypes, a.resourceType)} ${name(ResourcePatternTypes, a.resourcePatternType)}:${a.resourceName}`,
  );

  it('let the producer write exactly its two topics and use its transactional id prefix, and the consumer read and use its groups', () => {
    expect(acls.sort()).toEqual(
      [
        'User:producer WRITE TOPIC LITERAL:env.predictions',
        'User:producer WRITE TOPIC LITERAL:env.predictions.dlq',
        'User:producer WRITE TRANSACTIONAL_ID PREFIXED:ml-platform-scorer.env.predictions.',
        'User:producer DESCRIBE TRANSACTIONAL_ID PREFIXED:ml-platform-scorer.env.predictions.',
        'User:consumer READ TOPIC PREFIXED:env.',
        'User:consumer READ GROUP PREFIXED:topic-reader-',
        'User:consumer DELETE GROUP PREFIXED:topic-reader-',
      ].sort(),
    );
  });

  it('grant nothing when no grants are asked for', () => {
    expect(kafkaAcls(newSecurity(tls, {}))).toEqual([]);
  });

  it('refuse names Kafka would not accept, naming the option', () => {
    expect(() => newSecurity(tls, { kafka: { topics: ['bad topic'] } })).toThrow("secure.kafka.topics: 'bad topic' is not a Kafka topic name");
    expect(() => newSecurity(tls, { kafka: { producer: { topics: ['a*b'], transactionalIdPrefix: 'x' } } })).toThrow('secure.kafka.producer.topics');
  });

  it('give every user its own random password', () => {
    const generated = newSecurity(tls, {});
    const passwords = [generated.kafka.admin, generated.kafka.producer, generated.kafka.consumer, generated.mlflow.admin, generated.mlflow.app].map((u) => u.password);
    expect(new Set(passwords).size).toBe(5);
    expect(passwords.every((p) => p.length >= 32)).toBe(true);
  });

  it('render a properties file for Kafka\'s own tools that trusts the local CA', () => {
    expect(parseProperties(renderClientProperties(security, security.kafka.consumer))).toMatchObject({
      'security.protocol': 'SASL_SSL',
      'sasl.mechanism': 'SCRAM-SHA-512',
      'ssl.truststore.type': 'PEM',
      'ssl.truststore.location': '/tls/ca.pem',
    });
  });
});

describe('the secured MLflow server', () => {
  it('runs MLflow\'s basic-auth app: every request needs a user, who may read (MLflow\'s default) and owns what it creates', () => {
    expect(mlflowServerArgs('/data/mlflow', 5000, '127.0.0.1', true).slice(0, 3)).toEqual(['server', '--app-name', 'basic-auth']);
    expect(mlflowServerArgs('/data/mlflow', 5000)).not.toContain('--app-name');
    const config = renderAuthConfig('/data/mlflow', 'admin');
    expect(config).toContain('default_permission = READ');
    expect(config).toContain('database_uri = sqlite:////data/mlflow/basic_auth.db');
    expect(config).not.toMatch(/admin_password/);
  });
});

describe('what a secured run exports', () => {
  const endpoints: Endpoints = {
    kafka: {
      brokers: ['127.0.0.1:1'],
      security: {
        protocol: 'SASL_SSL',
        mechanism: 'scram-sha-512',
        caFile: '/tls/ca.pem',
        caUri: 's3://local-services-000000000000/kafka/ca.pem',
        producerSecretArn: 'arn:aws:secretsmanager:eu-central-1:000000000000:secret:producer-A',
        consumerSecretArn: 'arn:aws:secretsmanager:eu-central-1:000000000000:secret:consumer-B',
        secretKmsKeyArn: 'arn:aws:kms:eu-central-1:000000000000:key/k',
      },
    },
    mlflow: { trackingUri: 'http://127.0.0.1:2', security: { auth: 'basic', credentialsSecretArn: 'arn:aws:secretsmanager:eu-central-1:000000000000:secret:mlflow-C', secretKmsKeyArn: 'arn:aws:kms:eu-central-1:000000000000:key/k' } },
  };

  it('gives the apps TLS, SASL by secret ARN and the CA file, and MLflow\'s client variables for the app user', () => {
    expect(endpointsToEnv(endpoints, security.mlflow.app)).toEqual({
      KAFKA_BROKERS: '127.0.0.1:1',
      KAFKA_TLS: 'true',
      KAFKA_CA_FILE: '/tls/ca.pem',
      KAFKA_AUTH: 'scram-sha-512',
      KAFKA_SASL_SECRET_ARN: 'arn:aws:secretsmanager:eu-central-1:000000000000:secret:producer-A',
      KAFKA_CONSUMER_SASL_SECRET_ARN: 'arn:aws:secretsmanager:eu-central-1:000000000000:secret:consumer-B',
      MLFLOW_TRACKING_URI: 'http://127.0.0.1:2',
      MLFLOW_TRACKING_USERNAME: 'app',
      MLFLOW_TRACKING_PASSWORD: security.mlflow.app.password,
    });
  });

  it('gives environments/local.ts the ARNs and the CA URI, never a credential', () => {
    expect(endpointsToLocalEnvironment(endpoints)).toEqual({
      MLP_LOCAL_KAFKA_BROKERS: '127.0.0.1:1',
      MLP_LOCAL_KAFKA_SECRET_ARN: 'arn:aws:secretsmanager:eu-central-1:000000000000:secret:producer-A',
      MLP_LOCAL_KAFKA_SECRET_KMS_KEY_ARN: 'arn:aws:kms:eu-central-1:000000000000:key/k',
      MLP_LOCAL_KAFKA_CA_URI: 's3://local-services-000000000000/kafka/ca.pem',
      MLP_LOCAL_MLFLOW_URI: 'http://127.0.0.1:2',
      MLP_LOCAL_MLFLOW_CREDENTIALS_SECRET_ARN: 'arn:aws:secretsmanager:eu-central-1:000000000000:secret:mlflow-C',
      MLP_LOCAL_MLFLOW_CREDENTIALS_KMS_KEY_ARN: 'arn:aws:kms:eu-central-1:000000000000:key/k',
    });
  });

  it('hides the password in what is written to the run record and shown by `services status`', () => {
    expect(redact(endpointsToEnv(endpoints, security.mlflow.app)).MLFLOW_TRACKING_PASSWORD).toBe('***');
  });
});
