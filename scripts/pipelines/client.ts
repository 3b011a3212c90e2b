// One place that builds the SageMaker API the pipeline CLIs talk to: the AWS SDK client for a real account
// (credentials from the default provider chain; the SDK honours AWS_ENDPOINT_URL), or, for the `local` environment
// and its executions, this machine's SageMaker Pipelines API (scripts/local/pipelines/sagemaker-api.ts): the
// pipelines deployed into the AWS emulator, executed by the local executor.
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadEnvironment } from '../../environments';
import { LOCAL_ENVIRONMENT } from '../../environments/lib/local-endpoints';
import { UsageError } from '../cli/errors';
import { runningEmulator } from '../local/deploy/emulator';
import { LocalSageMakerApi } from '../local/pipelines/sagemaker-api';
import { DEFAULT_STORE_DIR, executionFolder, executionIdOf } from '../local/pipelines/store/execution-store';

/** What the pipeline CLIs need of SageMaker: send() of its commands, typed as the SDK types them. */
export interface SageMakerApi extends Pick<SageMakerClient, 'send'> {
  /** Set when executions run inside this process (the local executor): the CLI must stay until they end. */
  readonly runsInProcess?: boolean;
  stopAll?(): Promise<void>;
}

export interface ClientTarget {
  readonly region: string;
  readonly env?: string;
  readonly executionArn?: string;
}

export type SageMakerClientFactory = (target: ClientTarget) => SageMakerApi;

/** An execution the local executor recorded (its ARN names the emulator's account, so the ARN alone is not enough). */
export function isLocalExecution(arn: string, storeDir: string = DEFAULT_STORE_DIR): boolean {
  const id = executionIdOf(arn);
  return id !== undefined && existsSync(path.join(executionFolder(storeDir, id), 'execution.json'));
}

export function localSageMaker(storeDir: string = DEFAULT_STORE_DIR, log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): SageMakerApi {
  const config = loadEnvironment(LOCAL_ENVIRONMENT);
  const emulator = runningEmulator(config.account.id);
  const clientConfig = emulator && { endpoint: emulator.endpointUrl, region: config.account.region, credentials: emulator.credentials };
  const api = new LocalSageMakerApi({
    upstream: clientConfig && new SageMakerClient(clientConfig),
    events: clientConfig && new EventBridgeClient(clientConfig),
    role: emulator && { endpointUrl: emulator.endpointUrl, region: config.account.region, credentials: emulator.credentials },
    storeDir,
    log,
  });
  // It answers the SDK's command classes with the SDK's response shapes; the SDK's overloaded send() type cannot
  // be spelled by a class that dispatches at run time.
  return api as unknown as SageMakerApi;
}

export const defaultClientFactory: SageMakerClientFactory = (target) => {
  if (target.env === LOCAL_ENVIRONMENT || (target.executionArn !== undefined && isLocalExecution(target.executionArn))) return localSageMaker();
  return new SageMakerClient({ region: target.region, maxAttempts: 5 });
};

/** Region of a pipeline execution ARN: arn:aws:sagemaker:<region>:<account>:pipeline/<name>/execution/<id>. */
export function parseExecutionArn(arn: string): { region: string; account: string; pipelineName: string; executionId: string } {
  const match = /^arn:aws[a-z-]*:sagemaker:([a-z0-9-]+):(\d{12}):pipeline\/([^/]+)\/execution\/([A-Za-z0-9]+)$/.exec(arn);
  if (!match) {
    throw new UsageError(`--arn ${JSON.stringify(arn)}: expected a pipeline execution ARN like arn:aws:sagemaker:eu-west-1:123456789012:pipeline/NAME/execution/ID`);
  }
  return { region: match[1]!, account: match[2]!, pipelineName: match[3]!, executionId: match[4]! };
}
