// The configuration guards: credentials in URLs, region codes, cron fields, MSK SCRAM keys, and conflicts between
// environment files. Each test shows the exact message a user gets.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { EnvironmentConfigError, loadEnvironments } from '../../environments';
import regionData from '../../environments/lib/aws-regions.json';
import { closestRegion, partitionOf } from '../../environments/lib/aws-regions';
import { cronProblems } from '../../environments/lib/eventbridge-cron';
import { credentialsInUrl } from '../../environments/lib/url-credentials';
import { rawEnvironment, variant, type Json } from './support/synthesized';
import { temporaryDirectories } from './support/temporary';
import { partition } from '@aws-sdk/core/client';

const temporary = temporaryDirectories();

function messageOf(change: (raw: Json) => void, name = 'staging'): string {
  try {
    variant(name, change);
  } catch (error) {
    if (error instanceof EnvironmentConfigError) return error.message;
    throw error;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('credentials in URLs', () => {
  it('rejects a user name and password in the MLflow tracking URI, without printing the password', () => {
    const message = messageOf((raw) => (raw.mlflow.server = { type: 'self-hosted', trackingUri: 'https://admin:s3cret@mlflow.example.com' }));
    expect(message).toBe(
      'environments/staging.ts: mlflow.server.trackingUri: must not carry credentials (a user name and password in the URL ("user:…@")): ' +
        'the URL is stored in clear in the Terraform state — give the containers credentials as a secret (mlflow.server.credentialsSecretArn), ' +
        'never in the URL — got "https://***:***@mlflow.example.com/"',
    );
    expect(message).not.toContain('s3cret');
  });

  it('rejects a token in the query string of an alert webhook, naming the parameter and hiding its value', () => {
    const message = messageOf((raw) => (raw.alerts.subscriptions = [{ protocol: 'https', endpoint: 'https://alerts.example.com/hook?team=ml&token=abc123' }]));
    expect(message).toBe(
      'environments/staging.ts: alerts.subscriptions.0.endpoint: must not carry credentials (query parameter "token"): the URL is stored in clear ' +
        'in the Terraform state — have the endpoint authenticate SNS by verifying the message signature instead — ' +
        'got "https://alerts.example.com/hook?team=ml&token=***"',
    );
  });

  it.each([
    ['https://h.example.com/x?sig=abc', 'query parameter "sig"'],
    ['https://h.example.com/x?key=abc', 'query parameter "key"'],
    ['https://h.example.com/x?api-key=abc', 'query parameter "api-key"'],
    ['https://h.example.com/x?X-Amz-Signature=abc&X-Amz-Credential=c', 'query parameter "X-Amz-Signature" and query parameter "X-Amz-Credential"'],
    ['https://h.example.com/x?slack_token=abc', 'query parameter "slack_token"'],
    ['https://user@h.example.com/x', 'a user name in the URL ("user@")'],
  ])('finds credentials in %s', (url, what) => {
    expect(credentialsInUrl(url)?.what).toBe(what);
    expect(credentialsInUrl(url)?.redacted).not.toMatch(/abc|user@/);
  });

  it('accepts URLs without credentials (positive control)', () => {
    for (const url of ['https://alerts.example.com/hooks/ml-platform', 'http://127.0.0.1:15000', 's3://bucket/prefix/', 'https://h.example.com/?team=ml&page=2']) {
      expect(credentialsInUrl(url)).toBeUndefined();
    }
  });

  it('rejects a signed S3 URI as the MLflow artifact store', () => {
    expect(messageOf((raw) => (raw.mlflow.artifactStoreUri = 's3://bucket/prefix/?X-Amz-Signature=abc'))).toContain(
      'mlflow.artifactStoreUri: must not carry credentials (query parameter "X-Amz-Signature")',
    );
  });
});

describe('region codes', () => {
  it('suggests the nearest region for a typo', () => {
    expect(messageOf((raw) => (raw.account.region = 'eu-centrl-1'))).toContain(
      'environments/staging.ts: account.region: must be an AWS region code; did you mean "eu-central-1"? (known regions as of 2026-11-30: environments/lib/aws-regions.json) — got "eu-centrl-1"',
    );
  });

  it('checks the remote state region the same way', () => {
    expect(messageOf((raw) => (raw.remoteState.region = 'us-est-1'))).toContain('remoteState.region: must be an AWS region code; did you mean "us-east-1"?');
  });

  it('refuses a region of another partition, whose ARNs the stacks do not write', () => {
    expect(messageOf((raw) => (raw.account.region = 'cn-north-1'))).toContain(
      'account.region: must be a region of the commercial partition "aws": cn-north-1 is in "aws-cn", whose ARNs the stacks do not write — got "cn-north-1"',
    );
  });

  it('keeps its region list consistent with the partitions the AWS SDK knows', () => {
    expect(regionData.source).toMatch(/partitions\.json/);
    for (const [id, regions] of Object.entries(regionData.partitions)) {
      expect(regions.length).toBeGreaterThan(0);
      for (const region of regions) {
        expect(partitionOf(region)).toBe(id);
        expect(partition(region).name).toBe(id);
      }
    }
    expect(regionData.partitions.aws).toEqual(expect.arrayContaining(['eu-central-1', 'us-east-1', 'ap-southeast-2']));
  });

  it('suggests nothing for a code far from every region', () => {
    expect(closestRegion('europe')).toBeUndefined();
  });
});

describe('EventBridge cron fields', () => {
  it('rejects "99 77 * * ? *" naming both fields and their ranges', () => {
    expect(messageOf((raw) => (raw.schedules.training.cron = '99 77 * * ? *'))).toContain(
      'environments/staging.ts: schedules.training.cron: must be a valid EventBridge cron: minutes "99" is out of range 0-59; hours "77" is out of range 0-23 — got "99 77 * * ? *"',
    );
  });

  it.each([
    ['0 2 * 13 ? *', 'month "13" is out of range 1-12 or JAN-DEC'],
    ['0 2 * JANUARY ? *', 'month "JANUARY" is not a value of 1-12 or JAN-DEC'],
    ['0 2 ? * 8 *', 'day-of-week "8" is out of range 1-7 or SUN-SAT'],
    ['0 2 0 * ? *', 'day-of-month "0" is out of range 1-31'],
    ['0 2 * * ? 2300', 'year "2300" is out of range 1970-2199'],
    ['*/0 2 * * ? *', 'minutes "*/0" has a bad increment after "/" (a whole number 1-59)'],
    ['0 2 ? * 2#6 *', 'day-of-week "2#6" must name the 1st-5th occurrence after "#" (got "6")'],
    ['0 2 ? * 2#1,3 *', 'day-of-week "2#1,3": with "#" it holds a single expression'],
    ['0 L * * ? *', 'hours "L" cannot use "L" (only day-of-month and day-of-week can)'],
    ['0 2 ? * ? *', 'only one of day-of-month and day-of-week may be "?"'],
    ['? 2 * * ? *', 'minutes cannot be "?" (only day-of-month and day-of-week can)'],
    ['0 2 1,,2 * ? *', 'day-of-month "" is empty (two commas in a row?)'],
    ['0 2 * * ? * *', 'has 7 fields, EventBridge cron has 6'],
  ])('rejects %s', (expression, problem) => {
    expect(cronProblems(expression).join('; ')).toContain(problem);
  });

  it.each(['0 2 * * ? *', '30 0 * * ? *', '0/15 * * * ? *', '0 8-17/2 ? * MON-FRI *', '0 2 L * ? *', '0 2 15W * ? *', '0 2 ? * 6#3 *', '0 2 ? * L *', '0 2 1,15 JAN,JUL ? 2026-2030', '5 4 ? * SUN *'])(
    'accepts the documented form %s',
    (expression) => {
      expect(cronProblems(expression)).toEqual([]);
    },
  );
});

describe('SASL/SCRAM on MSK', () => {
  it('requires the key the secret is encrypted with, and says why', () => {
    expect(messageOf((raw) => delete raw.kafka.auth.secretKmsKeyArn)).toBe(
      'environments/staging.ts: kafka.auth.secretKmsKeyArn: is required with sasl-scram: Amazon MSK requires the SCRAM secret to be encrypted with a ' +
        'customer-managed KMS key, and the scoring role must be allowed to decrypt with it — add the key ARN "arn:aws:kms:<region>:<account>:key/<id>"',
    );
  });

  it('refuses SCRAM-SHA-256, which MSK does not support', () => {
    expect(messageOf((raw) => (raw.kafka.auth.mechanism = 'scram-sha-256'))).toContain(
      'kafka.auth.mechanism: must be "scram-sha-512": Amazon MSK supports SASL/SCRAM only with SHA-512 — got "scram-sha-256"',
    );
  });

  it("requires the key in the secret's region", () => {
    expect(messageOf((raw) => (raw.kafka.auth.secretKmsKeyArn = 'arn:aws:kms:us-east-1:111111111111:key/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b'))).toContain(
      "kafka.auth.secretKmsKeyArn: must be in the secret's region (Secrets Manager encrypts a secret with a key of its own region)",
    );
  });
});

describe('conflicts between environment files', () => {
  const writeEnvironments = (files: Record<string, Json>) => {
    const directory = temporary('environments-');
    for (const [name, raw] of Object.entries(files)) writeFileSync(path.join(directory, `${name}.ts`), `module.exports = { default: ${JSON.stringify(raw)} };\n`);
    return directory;
  };

  it('refuses a copy of staging.ts: same state, same names, same topics — each message names both files', () => {
    const directory = writeEnvironments({ staging: rawEnvironment('staging'), qa: rawEnvironment('staging') });
    expect(() => loadEnvironments(directory)).toThrow(
      [
        'environments/staging.ts: remoteState.key: must differ from environments/qa.ts, which keeps its state in the same object ' +
          "s3://mlp-terraform-state-111111111111/ml-platform/staging.tfstate — the two stacks would overwrite each other's state",
        'environments/staging.ts: namePrefix: must differ from environments/qa.ts, which uses "mlp-staging" in the same account 111111111111 — ' +
          'every resource name (IAM roles are account-wide) would collide',
        'environments/staging.ts: kafka.topic: must differ from environments/qa.ts, which also uses topic "staging.predictions" on broker ' +
          'b-1.mlp-staging.kafka.eu-central-1.amazonaws.com:9096 — both environments would publish into the same topic',
      ].join('\n'),
    );
  });

  it('refuses the same name prefix in the same account even in another region (IAM role names are account-wide)', () => {
    const qa: Json = rawEnvironment('staging');
    qa.remoteState.key = 'ml-platform/qa.tfstate';
    qa.kafka.topic = 'qa.predictions';
    qa.kafka.deadLetterTopic = 'qa.predictions.dlq';
    qa.account.region = 'eu-west-1';
    qa.mlflow.server.trackingServerArn = 'arn:aws:sagemaker:eu-west-1:111111111111:mlflow-tracking-server/qa';
    qa.kafka.auth.secretArn = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:AmazonMSK_qa-Ab12Cd';
    qa.kafka.auth.secretKmsKeyArn = 'arn:aws:kms:eu-west-1:111111111111:key/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b';
    const directory = writeEnvironments({ staging: rawEnvironment('staging'), qa });
    expect(() => loadEnvironments(directory)).toThrow(/^environments\/staging\.ts: namePrefix: must differ from environments\/qa\.ts.*$/);
  });

  it('refuses a dead-letter topic that is another environment\'s prediction topic on a shared broker', () => {
    const qa = rawEnvironment('staging');
    Object.assign(qa, { namePrefix: 'mlp-qa' });
    qa.remoteState.key = 'ml-platform/qa.tfstate';
    qa.kafka.topic = 'qa.predictions';
    qa.kafka.deadLetterTopic = 'staging.predictions';
    const directory = writeEnvironments({ staging: rawEnvironment('staging'), qa });
    expect(() => loadEnvironments(directory)).toThrow(
      'environments/staging.ts: kafka.topic: must differ from environments/qa.ts, which also uses topic "staging.predictions"',
    );
  });

  it('loads the real environments, local included, without conflicts (positive control)', () => {
    expect(loadEnvironments().map((config) => config.name)).toEqual(['local', 'prod', 'staging']);
    const directory = writeEnvironments({ staging: rawEnvironment('staging'), prod: rawEnvironment('prod'), local: rawEnvironment('local') });
    expect(loadEnvironments(directory)).toHaveLength(3);
  });
});
