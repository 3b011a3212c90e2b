import { loadEnvironment } from '../../environments';
import { ExitCode } from '../../scripts/cli/errors';
import { scorerKafkaAuth } from '../../scripts/topics/kafka-connection';
import { readCommand } from '../../scripts/topics/read';
import { captureIo } from './support';

describe('topic:read flags', () => {
  it.each([
    [[], 'Give --env, or both --brokers and --topic.'],
    [['--brokers', '127.0.0.1:9092'], 'Give --env, or both --brokers and --topic.'],
    [['--brokers', 'localhost', '--topic', 't'], '--brokers: expected host:port[,host:port…]'],
    [['--brokers', '127.0.0.1:9092', '--topic', 't', '--isolation', 'committed'], '--isolation: expected read_committed or read_uncommitted'],
    [['--brokers', '127.0.0.1:9092', '--topic', 't', '--max', '0'], '--max: expected a number above 0'],
    [['--brokers', '127.0.0.1:9092', '--topic', 't', '--ca-file', 'ca.pem'], '--sasl-secret-arn and --ca-file need --env'],
    [['--env', 'staging', '--sasl-secret-arn', 'reader'], '--sasl-secret-arn: expected a Secrets Manager secret ARN'],
    [['--env', 'prod', '--sasl-secret-arn', 'arn:aws:secretsmanager:eu-central-1:222222222222:secret:reader-AbCdEf'], '--sasl-secret-arn: environment prod does not use SASL/SCRAM'],
  ])('exits 2 before connecting for %j', async (argv, message) => {
    const io = captureIo();
    await expect(readCommand(argv, io)).resolves.toBe(ExitCode.usage);
    expect(io.stderr.join('\n')).toContain(message);
  });
});

describe('reaching an environment\'s cluster like the scorer does', () => {
  it('maps SASL/SCRAM config to the scorer\'s auth with the secret ARN (never credentials)', () => {
    const staging = loadEnvironment('staging');
    const auth = staging.kafka.auth;
    if (auth.type !== 'sasl-scram') throw new Error('staging is expected to use SASL/SCRAM');
    expect(scorerKafkaAuth(staging)).toEqual({ kind: auth.mechanism, secretArn: auth.secretArn });
  });

  it('maps MSK IAM to the scorer\'s auth in the environment\'s region', () => {
    const prod = loadEnvironment('prod');
    expect(prod.kafka.auth.type).toBe('msk-iam');
    expect(scorerKafkaAuth(prod)).toEqual({ kind: 'msk-iam', region: prod.account.region });
  });
});
