// Runs hand-written pipeline definitions through the executor for unit tests: tiny shell/node jobs on a test
// runtime (the host's own tools, seen through the job's mount namespace), a fake S3, records in a temp store.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openExecutionStore, startExecution, type EventBridgeEvent, type ExecutionDescription, type StartExecutionInput, type StepRecord } from '../../../../scripts/local/pipelines';
import { FakeObjectStore } from './fake-object-store';

export const PIPELINE_ARN = 'arn:aws:sagemaker:eu-central-1:000000000000:pipeline/unit-pipeline';
export const ROLE = 'arn:aws:iam::000000000000:role/unit-role';
export const IMAGE = '000000000000.dkr.ecr.eu-central-1.amazonaws.com/unit/tools:1';
export const KMS_KEY = 'arn:aws:kms:eu-central-1:000000000000:key/00000000-0000-4000-8000-000000000001';

/** What the test image's `train` does: report its arguments and inputs, copy the train channel into the model, print a metric. */
const TRAIN_SCRIPT = `#!/bin/sh
echo "train started with arguments: $*"
for channel in /opt/ml/input/data/*; do echo "channel $(basename "$channel"): $(ls "$channel" | tr '\\n' ' ')"; done
cp -r /opt/ml/input/data/train/. /opt/ml/model/
echo "validation:auc=0.91"
if [ -n "\${TRAIN_FAILURE:-}" ]; then echo "$TRAIN_FAILURE" > /opt/ml/output/failure; exit 2; fi
`;

/** A runtimes file with one runtime, "tools": the host's shell and node, working directory /work-dir (a bound folder). */
export function testRuntimesFile(directory: string): string {
  const workDir = path.join(directory, 'workdir');
  const bin = path.join(directory, 'image-bin');
  mkdirSync(workDir, { recursive: true });
  mkdirSync(bin, { recursive: true });
  writeFileSync(path.join(workDir, 'hello.txt'), 'hello from the image\n');
  // The image's `train` executable (SageMaker starts training containers as `docker run <image> train`).
  writeFileSync(path.join(bin, 'train'), TRAIN_SCRIPT, { mode: 0o755 });
  const file = path.join(directory, 'runtimes.json');
  writeFileSync(
    file,
    JSON.stringify({
      root: '.',
      runtimes: [
        {
          name: 'tools',
          repository: '*/tools',
          workingDir: '/work-dir',
          home: '/home/tools',
          path: ['/image-bin', '/usr/local/bin', '/usr/bin', '/bin'],
          environment: { IMAGE_ENV: 'from-the-dockerfile' },
          entrypoint: [],
          cmd: ['sh', '-c', 'echo the image CMD ran'],
          binds: [
            { source: workDir, target: '/work-dir', readOnly: true },
            { source: bin, target: '/image-bin', readOnly: true },
          ],
        },
      ],
    }),
  );
  return file;
}

export interface RunOutcome {
  execution: ExecutionDescription;
  steps: StepRecord[];
  step(name: string): StepRecord;
  events: EventBridgeEvent[];
  lines: string[];
  store: FakeObjectStore;
  storeDir: string;
}

export function definition(steps: unknown[], parameters: unknown[] = []): string {
  return JSON.stringify({ Version: '2020-12-01', Metadata: {}, Parameters: parameters, Steps: steps });
}

export function harness() {
  const root = mkdtempSync(path.join(tmpdir(), 'pipelines-unit-'));
  const runtimesFile = testRuntimesFile(root);
  let runs = 0;
  const start = async (json: string, options: Partial<StartExecutionInput> & { store?: FakeObjectStore } = {}) => {
    const store = options.store ?? new FakeObjectStore();
    const storeDir = path.join(root, `store-${++runs}`);
    const events: EventBridgeEvent[] = [];
    const lines: string[] = [];
    const started = await startExecution({
      definition: json,
      pipelineName: 'unit-pipeline',
      pipelineArn: PIPELINE_ARN,
      aws: { region: 'eu-central-1', credentials: { accessKeyId: 'role-key', secretAccessKey: 'role-secret' }, endpointUrl: 'http://127.0.0.1:1' },
      runtimesFile,
      storeDir,
      objectStore: store,
      stopGraceSeconds: 2,
      onEvent: (event) => void events.push(event),
      log: (line) => lines.push(line),
      ...options,
    });
    return { started, store, storeDir, events, lines };
  };
  const run = async (json: string, options: Partial<StartExecutionInput> & { store?: FakeObjectStore } = {}): Promise<RunOutcome> => {
    const { started, store, storeDir, events, lines } = await start(json, options);
    const execution = await started.done;
    const steps = await openExecutionStore(storeDir).listSteps(started.executionArn);
    const step = (name: string) => {
      const found = steps.find((s) => s.StepName === name);
      if (!found) throw new Error(`no step ${name} ran; steps: ${steps.map((s) => s.StepName).join(', ')}\n${lines.join('\n')}`);
      return found;
    };
    return { execution, steps, step, events, lines, store, storeDir };
  };
  return { root, runtimesFile, start, run };
}

/** A Processing step running `sh -c <script>` on the test image, one instance, with the given extra arguments. */
export function shellProcessing(name: string, script: string, extra: Record<string, unknown> = {}, options: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    Name: name,
    Type: 'Processing',
    Arguments: {
      ProcessingResources: { ClusterConfig: { InstanceType: 'ml.t3.medium', InstanceCount: 1, VolumeSizeInGB: 1 } },
      AppSpecification: { ImageUri: IMAGE, ContainerEntrypoint: ['sh', '-c', script] },
      RoleArn: ROLE,
      StoppingCondition: { MaxRuntimeInSeconds: 60 },
      ...extra,
    },
    ...options,
  };
}

export const processingInput = (name: string, s3Uri: unknown, localPath: string, more: Record<string, unknown> = {}) => ({
  InputName: name,
  AppManaged: false,
  S3Input: { S3Uri: s3Uri, LocalPath: localPath, S3DataType: 'S3Prefix', S3InputMode: 'File', S3DataDistributionType: 'FullyReplicated', S3CompressionType: 'None', ...more },
});

export const processingOutputs = (outputs: Array<[string, unknown, string]>, kmsKeyId?: string) => ({
  ProcessingOutputConfig: {
    Outputs: outputs.map(([name, uri, localPath]) => ({ OutputName: name, AppManaged: false, S3Output: { S3Uri: uri, LocalPath: localPath, S3UploadMode: 'EndOfJob' } })),
    ...(kmsKeyId ? { KmsKeyId: kmsKeyId } : {}),
  },
});
