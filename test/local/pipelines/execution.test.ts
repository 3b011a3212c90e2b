import { existsSync, readFileSync } from 'node:fs';
import { openExecutionStore, EXECUTION_STATUS_CHANGE, STEP_STATUS_CHANGE } from '../../../scripts/local/pipelines';
import { FakeObjectStore } from './support/fake-object-store';
import { definition, harness, KMS_KEY, PIPELINE_ARN, processingOutputs, shellProcessing } from './support/harness';

jest.setTimeout(60_000);
const h = harness();

const propertyFile = { PropertyFiles: [{ PropertyFileName: 'Report', OutputName: 'report', FilePath: 'report.json' }] };
/** A step that writes report.json with the given JSON into its output "report" (a property file). */
const reportStep = (name: string, json: unknown) =>
  shellProcessing(name, `printf '%s' '${JSON.stringify(json)}' > /opt/ml/processing/report/report.json`, processingOutputs([['report', `s3://bucket/runs/${name}`, '/opt/ml/processing/report']]), propertyFile);
const jsonGet = (step: string, path: string) => ({ 'Std:JsonGet': { PropertyFile: { Get: `Steps.${step}.PropertyFiles.Report` }, Path: path } });

describe('executing a pipeline', () => {
  it('orders steps by data dependencies and DependsOn, passes properties on, and records the execution like DescribePipelineExecution', async () => {
    const result = await h.run(
      definition(
        [
          shellProcessing('Third', 'echo "got $UPSTREAM"', { Environment: { UPSTREAM: { Get: 'Steps.Second.ProcessingJobName' } } }),
          shellProcessing('Second', 'true', {}, { DependsOn: ['First'] }),
          shellProcessing('First', 'echo "run $RUN_ID"', { Environment: { RUN_ID: { Get: 'Execution.PipelineExecutionId' } } }),
        ],
        [{ Name: 'Unused', Type: 'String', DefaultValue: 'x' }],
      ),
    );
    expect(result.execution).toMatchObject({ PipelineExecutionStatus: 'Succeeded', PipelineArn: PIPELINE_ARN, PipelineParameters: [{ Name: 'Unused', Value: 'x' }] });
    const id = result.execution.Local.ExecutionId;
    expect(id).toMatch(/^[a-z0-9]{12}$/);
    expect(result.execution.PipelineExecutionArn).toBe(`${PIPELINE_ARN}/execution/${id}`);
    const order = [...result.steps].sort((a, b) => (a.StartTime < b.StartTime ? -1 : 1)).map((s) => s.StepName);
    expect(order).toEqual(['First', 'Second', 'Third']);
    expect(result.step('First').EndTime! <= result.step('Second').StartTime).toBe(true);
    expect(result.lines).toContain(`[First] run ${id}`);
    expect(result.lines).toContain(`[Third] got ${result.step('Second').Local.Properties!.ProcessingJobName}`);
    expect(result.step('Second').Metadata.ProcessingJob!.Arn).toMatch(new RegExp(`^arn:aws:sagemaker:eu-central-1:000000000000:processing-job/pipelines-${id}-second-[a-z0-9]{10}$`));

    const store = openExecutionStore(result.storeDir);
    await expect(store.list(PIPELINE_ARN)).resolves.toEqual([result.execution]);
    await expect(store.list('arn:aws:sagemaker:eu-central-1:000000000000:pipeline/other')).resolves.toEqual([]);
    await expect(store.describe(result.execution.PipelineExecutionArn)).resolves.toEqual(result.execution);
    const log = readFileSync(result.step('First').Local.Attempts[0]!.Job!.LogFiles[0]!, 'utf8');
    expect(log).toBe(`run ${id}\n`);
  });

  it('runs independent steps in parallel up to MaxParallelExecutionSteps', async () => {
    const steps = ['A', 'B', 'C'].map((name) => shellProcessing(name, 'sleep 0.5'));
    const overlap = (records: Awaited<ReturnType<typeof h.run>>['steps']) =>
      records.some((a) => records.some((b) => a !== b && a.StartTime < b.EndTime! && b.StartTime < a.EndTime!));
    const serial = await h.run(definition(steps), { parallelism: { maxParallelExecutionSteps: 1 } });
    expect(serial.execution.ParallelismConfiguration).toEqual({ MaxParallelExecutionSteps: 1 });
    expect(overlap(serial.steps)).toBe(false);
    const parallel = await h.run(definition(steps), { parallelism: { maxParallelExecutionSteps: 3 } });
    expect(overlap(parallel.steps)).toBe(true);
  });

  it('retries a failure of a listed exception type and succeeds on the 2nd attempt, recording both attempts', async () => {
    const store = new FakeObjectStore();
    store.put('s3://bucket/in/a.csv', 'a');
    store.failNext('download', 'ServiceFault');
    const step = shellProcessing(
      'Flaky',
      'cat /opt/ml/processing/in/a.csv',
      { ProcessingInputs: [{ InputName: 'in', S3Input: { S3Uri: 's3://bucket/in/', LocalPath: '/opt/ml/processing/in', S3DataType: 'S3Prefix', S3InputMode: 'File' } }] },
      { RetryPolicies: [{ ExceptionType: ['SageMaker.JOB_INTERNAL_ERROR'], IntervalSeconds: 1, BackoffRate: 2, MaxAttempts: 2 }] },
    );
    const result = await h.run(definition([step]), { store });
    expect(result.execution.PipelineExecutionStatus).toBe('Succeeded');
    const flaky = result.step('Flaky');
    expect(flaky).toMatchObject({ StepStatus: 'Succeeded', AttemptCount: 2 });
    const [first, second] = flaky.Local.Attempts;
    expect(first).toMatchObject({ Attempt: 1, Status: 'Failed', ExceptionType: 'SageMaker.JOB_INTERNAL_ERROR', RetryDelaySeconds: 1 });
    expect(first!.FailureReason).toMatch(/^InternalServerError: downloading input data failed: .*ServiceFault/);
    expect(second).toMatchObject({ Attempt: 2, Status: 'Succeeded' });
    expect(second!.Job!.Name).not.toBe(first!.Job!.Name);
    expect(Date.parse(second!.StartTime) - Date.parse(first!.EndTime!)).toBeGreaterThanOrEqual(1000);
    expect(flaky.Metadata.ProcessingJob!.Arn).toBe(second!.Job!.Arn);
  });

  it("never retries a job that exits non-zero; a processing job's reason is its ExitMessage (/opt/ml/output/message)", async () => {
    const step = shellProcessing('Broken', 'echo "bad input: row 7" > /opt/ml/output/message; echo "ignored" > /opt/ml/output/failure; echo oops >&2; exit 3', {}, {
      RetryPolicies: [{ ExceptionType: ['Step.SERVICE_FAULT', 'Step.THROTTLING', 'SageMaker.JOB_INTERNAL_ERROR', 'SageMaker.CAPACITY_ERROR', 'SageMaker.RESOURCE_LIMIT'], IntervalSeconds: 1, MaxAttempts: 5 }],
    });
    const result = await h.run(definition([step, shellProcessing('After', 'true', {}, { DependsOn: ['Broken'] })]));
    expect(result.step('Broken')).toMatchObject({ StepStatus: 'Failed', AttemptCount: 1, FailureReason: 'AlgorithmError: See job logs for more information, exit code: 3' });
    expect(result.step('Broken').Local.Properties).toMatchObject({ ExitMessage: 'bad input: row 7\n' });
    expect(result.step('Broken').Local.Attempts[0]!.RetryDecision).toBe('the failure is not of a retryable exception type');
    expect(result.steps.map((s) => s.StepName)).toEqual(['Broken']);
    expect(result.execution).toMatchObject({
      PipelineExecutionStatus: 'Failed',
      FailureReason: 'Step failure: One or multiple error(s) occurred: [AlgorithmError: See job logs for more information, exit code: 3]',
    });
  });

  it('stops a job that exceeds MaxRuntimeInSeconds with SIGTERM, and one that ignores SIGTERM with SIGKILL after the grace period', async () => {
    const polite = shellProcessing('Polite', "trap 'echo got SIGTERM; exit 143' TERM; sleep 30 & wait", { StoppingCondition: { MaxRuntimeInSeconds: 1 } });
    const stubborn = shellProcessing('Stubborn', "trap '' TERM; echo started; sleep 30", { StoppingCondition: { MaxRuntimeInSeconds: 1 } });
    const started = Date.now();
    const result = await h.run(definition([polite, stubborn]), { stopGraceSeconds: 2 });
    const elapsed = Date.now() - started;
    expect(result.step('Polite')).toMatchObject({ StepStatus: 'Failed', FailureReason: 'MaxRuntimeExceeded: Processing job exceeded MaxRuntimeInSeconds (1 s) and was stopped' });
    expect(result.lines).toContain('[Polite] got SIGTERM');
    expect(result.step('Stubborn')).toMatchObject({ StepStatus: 'Failed' });
    const stubbornRun = Date.parse(result.step('Stubborn').EndTime!) - Date.parse(result.step('Stubborn').StartTime);
    expect(stubbornRun).toBeGreaterThanOrEqual(3000);
    expect(elapsed).toBeLessThan(20_000);
  });

  it('ends in a Fail step whose evaluated ErrorMessage becomes the execution FailureReason', async () => {
    const result = await h.run(
      definition([
        reportStep('Evaluate', { gate: { reason: 'auc 0.61 < threshold 0.7' } }),
        { Name: 'Rejected', Type: 'Fail', Arguments: { ErrorMessage: { 'Std:Join': { On: ' ', Values: ['Model rejected:', jsonGet('Evaluate', 'gate.reason')] } } } },
      ]),
    );
    expect(result.step('Rejected')).toMatchObject({
      StepStatus: 'Failed',
      FailureReason: 'Model rejected: auc 0.61 < threshold 0.7',
      Metadata: { Fail: { ErrorMessage: 'Model rejected: auc 0.61 < threshold 0.7' } },
    });
    expect(result.execution).toMatchObject({ PipelineExecutionStatus: 'Failed', FailureReason: 'Model rejected: auc 0.61 < threshold 0.7' });
  });

  it('takes a Condition step\'s ElseSteps branch when a condition does not hold; the IfSteps never run', async () => {
    const result = await h.run(
      definition(
        [
          reportStep('Evaluate', { metrics: { auc: { value: 0.62 } } }),
          {
            Name: 'Gate',
            Type: 'Condition',
            Arguments: {
              Conditions: [{ Type: 'GreaterThanOrEqualTo', LeftValue: jsonGet('Evaluate', 'metrics.auc.value'), RightValue: { Get: 'Parameters.Threshold' } }],
              IfSteps: [shellProcessing('Register', 'echo registering')],
              ElseSteps: [shellProcessing('Archive', 'echo archiving')],
            },
          },
          shellProcessing('AfterRegister', 'true', {}, { DependsOn: ['Register'] }),
        ],
        [{ Name: 'Threshold', Type: 'Float', DefaultValue: 0.7 }],
      ),
    );
    expect(result.execution.PipelineExecutionStatus).toBe('Succeeded');
    expect(result.step('Gate')).toMatchObject({ StepStatus: 'Succeeded', Metadata: { Condition: { Outcome: 'False' } } });
    expect(result.step('Archive').StepStatus).toBe('Succeeded');
    expect(result.steps.map((s) => s.StepName).sort()).toEqual(['Archive', 'Evaluate', 'Gate']);
    expect(result.lines).not.toContain('[Register] registering');
    expect(result.step('Archive').StartTime >= result.step('Gate').EndTime!).toBe(true);

    const passing = await h.run(
      definition([
        reportStep('Evaluate', { metrics: { auc: { value: 0.62 } } }),
        {
          Name: 'Gate',
          Type: 'Condition',
          Arguments: { Conditions: [{ Type: 'Not', Expression: { Type: 'In', QueryValue: jsonGet('Evaluate', 'metrics.auc.value'), Values: [0.1, 0.2] } }], IfSteps: [shellProcessing('Register', 'true')], ElseSteps: [] },
        },
      ]),
    );
    expect(passing.steps.map((s) => s.StepName).sort()).toEqual(['Evaluate', 'Gate', 'Register']);
  });

  it('fails the step that reads a JsonGet path missing from the property file, with the path in its FailureReason', async () => {
    const result = await h.run(
      definition([
        reportStep('Evaluate', { metrics: { auc: { value: 0.9 } } }),
        { Name: 'Gate', Type: 'Condition', Arguments: { Conditions: [{ Type: 'GreaterThan', LeftValue: jsonGet('Evaluate', 'metrics.f1.value'), RightValue: 0.5 }], IfSteps: [], ElseSteps: [] } },
      ]),
    );
    expect(result.step('Gate')).toMatchObject({
      StepStatus: 'Failed',
      FailureReason: "Std:JsonGet failed: the path 'metrics.f1.value' does not exist in property file Report of step Evaluate (s3://bucket/runs/Evaluate/report.json)",
    });
    expect(result.execution.PipelineExecutionStatus).toBe('Failed');
  });

  it('stops the running jobs when the execution is stopped (here through the store, as another process would) and marks it Stopped', async () => {
    const { started, events, lines, storeDir } = await h.start(
      definition([shellProcessing('Long', "echo waiting; trap 'echo terminated; exit 143' TERM; sleep 60 & wait"), shellProcessing('Next', 'true', {}, { DependsOn: ['Long'] })]),
    );
    while (!lines.includes('[Long] waiting')) await new Promise((resolve) => setTimeout(resolve, 50));
    const store = openExecutionStore(storeDir);
    await expect(store.describe(started.executionArn)).resolves.toMatchObject({ PipelineExecutionStatus: 'Executing' });
    await store.requestStop(started.executionArn);
    const execution = await started.done;
    expect(execution.PipelineExecutionStatus).toBe('Stopped');
    expect(lines).toContain('[Long] terminated');
    const steps = await store.listSteps(started.executionArn);
    expect(steps.map((s) => [s.StepName, s.StepStatus])).toEqual([['Long', 'Stopped']]);
    const statuses = events.filter((e) => e['detail-type'] === EXECUTION_STATUS_CHANGE).map((e) => [e.detail.previousPipelineExecutionStatus, e.detail.currentPipelineExecutionStatus]);
    expect(statuses).toEqual([[undefined, 'Executing'], ['Executing', 'Stopping'], ['Stopping', 'Stopped']]);
    const stepStatuses = events.filter((e) => e['detail-type'] === STEP_STATUS_CHANGE).map((e) => e.detail.currentStepStatus);
    expect(stepStatuses).toEqual(['Starting', 'Executing', 'Stopping', 'Stopped']);
    await started.stop();
  });

  it('emits SageMaker\'s EventBridge events for execution and step status changes, and keeps them on disk', async () => {
    const result = await h.run(definition([shellProcessing('Only', 'true')]));
    const [first] = result.events;
    expect(first).toMatchObject({
      version: '0',
      source: 'aws.sagemaker',
      'detail-type': EXECUTION_STATUS_CHANGE,
      account: '000000000000',
      region: 'eu-central-1',
      resources: [PIPELINE_ARN, result.execution.PipelineExecutionArn],
      detail: {
        currentPipelineExecutionStatus: 'Executing',
        executionStartTime: result.execution.Local.StartTime,
        pipelineArn: PIPELINE_ARN,
        pipelineExecutionArn: result.execution.PipelineExecutionArn,
        pipelineExecutionDisplayName: result.execution.PipelineExecutionDisplayName,
      },
    });
    const stepEvents = result.events.filter((e) => e['detail-type'] === STEP_STATUS_CHANGE);
    expect(stepEvents.map((e) => e.detail.currentStepStatus)).toEqual(['Starting', 'Executing', 'Succeeded']);
    expect(stepEvents[2]!.detail).toMatchObject({
      stepName: 'Only',
      stepType: 'Processing',
      previousStepStatus: 'Executing',
      metadata: { processingJob: { arn: result.step('Only').Metadata.ProcessingJob!.Arn } },
      stepEndTime: result.step('Only').EndTime,
    });
    expect(result.events.at(-1)!.detail).toMatchObject({ currentPipelineExecutionStatus: 'Succeeded', previousPipelineExecutionStatus: 'Executing', executionEndTime: result.execution.Local.EndTime });
    const onDisk = readFileSync(`${result.execution.Local.Folder}/events.jsonl`, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    expect(onDisk).toEqual(result.events);
  });
});

describe('the job\'s container', () => {
  it('sees SageMaker\'s paths and the image\'s working directory through its own mount namespace, and nothing else is written', async () => {
    const hostOptHadMl = existsSync('/opt/ml');
    const store = new FakeObjectStore();
    const result = await h.run(
      definition([
        shellProcessing(
          'Paths',
          [
            'echo "cwd=$(pwd)"',
            'cat hello.txt',
            'echo "config=$(cat /opt/ml/config/resourceconfig.json | tr -d " \\n")"',
            'echo private > /tmp/private-$$ && echo "tmp-ok"',
            'touch /usr/local-executor-test 2>/dev/null && echo "host-writable" || echo "host-read-only"',
            'echo "home=$HOME $(test -d "$HOME" && echo exists)"',
            'echo result > /opt/ml/processing/out/result.txt',
          ].join('; '),
          processingOutputs([['out', 's3://bucket/out/', '/opt/ml/processing/out']], KMS_KEY),
        ),
      ]),
      { store },
    );
    expect(result.execution.PipelineExecutionStatus).toBe('Succeeded');
    expect(result.lines).toEqual(
      expect.arrayContaining([
        '[Paths] cwd=/work-dir',
        '[Paths] hello from the image',
        '[Paths] config={"current_host":"algo-1","hosts":["algo-1"]}',
        '[Paths] tmp-ok',
        '[Paths] host-read-only',
        '[Paths] home=/home/tools exists',
      ]),
    );
    expect(store.text('s3://bucket/out/result.txt')).toBe('result\n');
    expect(store.uploads).toEqual([{ bucket: 'bucket', key: 'out/result.txt', options: { kmsKeyId: KMS_KEY } }]);
    expect(existsSync('/opt/ml')).toBe(hostOptHadMl);
    expect(existsSync('/home/tools')).toBe(false);
    expect(existsSync('/usr/local-executor-test')).toBe(false);
  });

  it('gets a clean environment: image defaults, role credentials, the request\'s Environment — not the executor\'s', async () => {
    process.env.EXECUTOR_HOST_SECRET = 'must-not-leak';
    const result = await h.run(definition([shellProcessing('Env', 'env | sort', { Environment: { MODEL_NAME: 'churn', IMAGE_ENV: 'from-the-request' } })]));
    delete process.env.EXECUTOR_HOST_SECRET;
    const env = Object.fromEntries(result.lines.filter((l) => l.startsWith('[Env] ')).map((l) => l.slice('[Env] '.length).split(/=(.*)/s).slice(0, 2)));
    expect(env).toEqual({
      PATH: '/image-bin:/usr/local/bin:/usr/bin:/bin',
      HOME: '/home/tools',
      LANG: 'C.UTF-8',
      IMAGE_ENV: 'from-the-request',
      AWS_ACCESS_KEY_ID: 'role-key',
      AWS_SECRET_ACCESS_KEY: 'role-secret',
      AWS_REGION: 'eu-central-1',
      AWS_DEFAULT_REGION: 'eu-central-1',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:1',
      MODEL_NAME: 'churn',
      PWD: '/work-dir',
    });
  });

  it('refuses an Environment value that is not a string, as CreateProcessingJob would', async () => {
    const result = await h.run(definition([shellProcessing('Typed', 'true', { Environment: { THRESHOLD: { Get: 'Parameters.Threshold' } } })], [{ Name: 'Threshold', Type: 'Float', DefaultValue: 0.7 }]));
    expect(result.step('Typed').FailureReason).toBe('ValidationException: CreateProcessingJob: Environment.THRESHOLD: must be a string (use Std:Join to turn a number into one)');
  });

  it('runs the image CMD when no ContainerEntrypoint is given', async () => {
    const step = shellProcessing('Default', '');
    delete (step.Arguments as { AppSpecification: Record<string, unknown> }).AppSpecification.ContainerEntrypoint;
    const result = await h.run(definition([step]));
    expect(result.lines).toContain('[Default] the image CMD ran');
  });
});
