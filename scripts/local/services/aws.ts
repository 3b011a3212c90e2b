// The AWS API emulator (moto in server mode): S3, IAM, SageMaker, Scheduler, SQS, SNS, KMS, Secrets Manager,
// EventBridge. Started through moto/server.py, which adds what the deployed stacks need and moto lacks.
import path from 'node:path';
import { LOOPBACK } from './ports';
import { venvBin } from './paths';

const EMULATOR_SERVER = path.join(__dirname, 'moto', 'server.py');
import type { ServiceContext, ServiceSpec } from './service-spec';

/** The region clients are pointed at unless startServices({ awsRegion }) names another. */
export const AWS_REGION = 'us-east-1';
/** moto's own default account, used when no account is asked for. */
export const DEFAULT_AWS_ACCOUNT_ID = '123456789012';
export const AWS_TEST_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' } as const;

const url = (ctx: ServiceContext) => `http://${LOOPBACK}:${ctx.ports[0]}`;

/**
 * S3 ListBuckets, answered by moto's S3 backend: proves the emulator routes real API calls, not just that a
 * port is open. moto routes by the credential scope and does not check signatures.
 */
export async function answersS3ListBuckets(endpointUrl: string): Promise<boolean> {
  try {
    const res = await fetch(`${endpointUrl}/`, {
      headers: {
        Authorization: `AWS4-HMAC-SHA256 Credential=${AWS_TEST_CREDENTIALS.accessKeyId}/20240101/${AWS_REGION}/s3/aws4_request, SignedHeaders=host, Signature=0`,
      },
      signal: AbortSignal.timeout(2_000),
    });
    return res.ok && (await res.text()).includes('ListAllMyBucketsResult');
  } catch {
    return false;
  }
}

export const awsService: ServiceSpec = {
  name: 'aws',
  extraPorts: 0,
  startTimeoutMs: 60_000,
  stopGraceMs: 5_000,
  async prepare() {
    // moto keeps its state in memory; nothing to prepare.
  },
  command(ctx) {
    return {
      cmd: venvBin('python', ctx.venvDir),
      args: [EMULATOR_SERVER, '-H', LOOPBACK, '-p', String(ctx.ports[0])],
      env: { ...process.env, PYTHONUNBUFFERED: '1', AWS_DEFAULT_REGION: ctx.awsRegion, MOTO_ACCOUNT_ID: ctx.awsAccountId },
    };
  },
  isHealthy: (ctx) => answersS3ListBuckets(url(ctx)),
  endpoints: (ctx) => ({ aws: { endpointUrl: url(ctx), region: ctx.awsRegion, accountId: ctx.awsAccountId } }),
};
