// How operator commands report failures: each problem once, no library dumps or stack traces, and AWS credential
// problems named with their fix instead of being blamed on a missing deployment.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { SageMakerClient, SageMakerServiceException } from '@aws-sdk/client-sagemaker';
import { awsError, awsErrorKind } from '../../scripts/cli/aws-errors';
import { loadEnvironmentForCli } from '../../scripts/cli/environment';
import { CliError, ExitCode, describeError } from '../../scripts/cli/errors';
import { runCli } from '../../scripts/cli/main';
import { listPipelineRuns } from '../../scripts/pipelines/runs';
import { synthCommand, synthEnv } from '../../scripts/synth/cli';
import { rawEnvironment } from '../infra/support/synthesized';
import { temporaryDirectories } from '../infra/support/temporary';
import { captureIo } from './support';

const temporary = temporaryDirectories();
const spec = { command: 'npm run demo --', summary: 'Demo.', options: { env: { type: 'string', description: 'Environment.' } } } as const;

function serviceError(name: string, status: number, message: string): SageMakerServiceException {
  return new SageMakerServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message });
}

/** An environments folder holding one file, staging, with an invalid region. */
function brokenEnvironments(): string {
  const directory = temporary('environments-');
  const raw = rawEnvironment('staging') as { account: { region: string } };
  raw.account.region = 'mars-1';
  writeFileSync(path.join(directory, 'staging.ts'), `module.exports = { default: ${JSON.stringify(raw)} };\n`);
  return directory;
}

describe('an invalid environment file in an operator command', () => {
  it('is reported once, naming file, field and fix, without the zod issue dump; exit 2', async () => {
    const directory = brokenEnvironments();
    const io = captureIo();
    const code = await runCli(spec, ['--env', 'staging'], async () => {
      loadEnvironmentForCli('staging', directory);
      return ExitCode.ok;
    }, io);
    expect(code).toBe(ExitCode.usage);
    const text = io.text();
    expect(text).toContain('environments/staging.ts: account.region: must be an AWS region code');
    expect(text.split('account.region').length - 1).toBe(1);
    expect(text).not.toMatch(/ZodError|"code":|"path":/);
  });

  it('stops npm run synth before cdktf runs, printed once, exit 2', async () => {
    const directory = brokenEnvironments();
    const io = captureIo();
    let cdktfRan = false;
    const { loadEnvironments } = await import('../../environments');
    const code = await synthCommand([], { validate: () => void loadEnvironments(directory), runCdktf: async () => ((cdktfRan = true), 0) }, io);
    expect(code).toBe(ExitCode.usage);
    expect(cdktfRan).toBe(false);
    expect(io.text()).toMatch(/^Invalid environment configuration:\nenvironments\/staging\.ts: account\.region: /);
    expect(io.text().split('account.region').length - 1).toBe(1);
  });

  it('runs cdktf without its version check and without a CLI config file that does not exist', () => {
    const existing = path.join(temporary('tf-config-'), 'terraformrc');
    writeFileSync(existing, '');
    expect(synthEnv({ TF_CLI_CONFIG_FILE: '/nonexistent/.terraformrc' })).toEqual({ CHECKPOINT_DISABLE: '1' });
    expect(synthEnv({ TF_CLI_CONFIG_FILE: existing })).toEqual({ CHECKPOINT_DISABLE: '1', TF_CLI_CONFIG_FILE: existing });
  });

  it('lets npm run synth run cdktf once every environment is valid (positive control)', async () => {
    const calls: string[][] = [];
    const code = await synthCommand([], { validate: () => undefined, runCdktf: async (args) => (calls.push([...args]), 0) }, captureIo());
    expect(code).toBe(ExitCode.ok);
    expect(calls).toEqual([['synth']]);
  });
});

describe('describing an error with its causes', () => {
  it('does not repeat a cause the message already quotes, and keeps one that adds something', () => {
    const root = new Error('getaddrinfo ENOTFOUND example.invalid');
    const quoted = new CliError(`Listing executions failed: ${root.message}`, { cause: root });
    expect(describeError(quoted)).toBe('Listing executions failed: getaddrinfo ENOTFOUND example.invalid');
    const adds = new CliError('Listing executions failed', { cause: root });
    expect(describeError(adds)).toBe('Listing executions failed\n  caused by Error: getaddrinfo ENOTFOUND example.invalid');
  });
});

describe('AWS errors in operator commands', () => {
  it.each([
    ['ExpiredTokenException', 400, 'The security token included in the request is expired', 'expired-credentials', /the AWS credentials have expired .*Renew them/],
    ['ExpiredToken', 400, 'The provided token has expired.', 'expired-credentials', /have expired/],
    ['AccessDeniedException', 400, 'User: arn:aws:iam::1:user/op is not authorized to perform: sagemaker:ListPipelineExecutions', 'access-denied', /AWS denied the request: the identity in use lacks a permission .*sts get-caller-identity.*docs\/infrastructure\.md/],
    ['AccessDenied', 403, 'Access Denied', 'access-denied', /AWS denied the request/],
    ['UnrecognizedClientException', 400, 'The security token included in the request is invalid.', 'invalid-credentials', /AWS rejected the credentials/],
  ] as const)('%s (HTTP %d) is named as a credential problem with its fix, not as a missing deployment', (name, status, message, kind, expected) => {
    const error = serviceError(name, status, message);
    expect(awsErrorKind(error)).toBe(kind);
    const wrapped = awsError('Listing executions of mlp-staging-training', error, { notFound: 'is the environment deployed?' });
    expect(wrapped.message).toMatch(expected);
    expect(wrapped.message).toContain(message);
    expect(wrapped.message).not.toMatch(/deployed/);
    expect(wrapped.retryable).toBe(false);
  });

  it('blames a missing resource on the deployment only when AWS says it does not exist', () => {
    const missing = serviceError('ResourceNotFound', 400, 'Pipeline arn:aws:sagemaker:eu-central-1:1:pipeline/x does not exist.');
    expect(awsError('Describing pipeline x', missing, { notFound: 'is the environment deployed?' }).message).toMatch(/does not exist\. \(is the environment deployed\?\)$/);
  });

  it('marks throttling and server errors retryable', () => {
    expect(awsError('Listing', serviceError('ThrottlingException', 400, 'Rate exceeded')).retryable).toBe(true);
    expect(awsError('Listing', serviceError('InternalFailure', 500, 'oops')).retryable).toBe(true);
  });

  describe('with no credentials anywhere in the default chain', () => {
    const saved = { ...process.env };
    beforeEach(() => {
      for (const key of Object.keys(process.env)) if (key.startsWith('AWS_')) delete process.env[key];
      const empty = temporary('aws-config-');
      Object.assign(process.env, {
        AWS_CONFIG_FILE: path.join(empty, 'config'),
        AWS_SHARED_CREDENTIALS_FILE: path.join(empty, 'credentials'),
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      });
    });
    afterEach(() => {
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
    });

    it("says so and how to sign in, through the real SDK's credential chain", async () => {
      const client = new SageMakerClient({ region: 'eu-central-1', maxAttempts: 1 });
      const io = captureIo();
      const code = await runCli(spec, [], async () => {
        await listPipelineRuns(client, 'mlp-staging-training', 5);
        return ExitCode.ok;
      }, io);
      expect(code).toBe(ExitCode.failed);
      expect(io.text()).toMatch(/^Listing executions of mlp-staging-training failed: no AWS credentials were found \(CredentialsProviderError: .*\)\. Sign in .*aws sso login/);
      expect(io.text()).not.toMatch(/deployed/);
      expect(io.text().match(/Could not load credentials/g)?.length ?? 0).toBeLessThanOrEqual(1);
    });

    it('adds the fix when the credential error is deeper in the chain of a wrapped error', async () => {
      const client = new SageMakerClient({ region: 'eu-central-1', maxAttempts: 1 });
      const io = captureIo();
      await runCli(spec, [], async () => {
        const cause = await client.config.credentials().then(
          () => undefined,
          (error: unknown) => error,
        );
        throw new CliError('Reading version 7 of churn-classifier (staging) failed', { cause });
      }, io);
      expect(io.stderr.join('\n')).toMatch(/caused by CredentialsProviderError: .*\nAWS credentials: no AWS credentials were found\. Sign in/);
    });
  });
});
