import path from 'node:path';
import { FakeObjectStore } from './support/fake-object-store';
import { definition, harness, processingInput, processingOutputs, shellProcessing } from './support/harness';

jest.setTimeout(60_000);
const h = harness();

/** Each instance lists what it received as "<host>: key key …" and writes it to its own output file. */
const REPORT = `node -e '${[
  'const fs = require("fs");',
  'const host = JSON.parse(fs.readFileSync("/opt/ml/config/resourceconfig.json", "utf8")).current_host;',
  'const files = fs.readdirSync("/opt/ml/processing/input").sort();',
  'console.log(host + ": " + files.join(" "));',
  'fs.writeFileSync("/opt/ml/processing/output/" + host + ".txt", files.join(" "));',
].join(' ')}'`;

const shares = (lines: string[], step: string) =>
  Object.fromEntries(
    lines
      .filter((line) => line.startsWith(`[${step}`))
      .map((line) => line.replace(/^\[[^\]]+\] /, ''))
      .filter((line) => /^algo-\d+: /.test(line))
      .map((line) => [line.split(':')[0]!, line.split(':')[1]!.trim().split(' ').filter(Boolean)]),
  );

describe('Processing steps', () => {
  it('splits 7 objects across 3 instances with ShardedByS3Key: each its own process, resourceconfig and a disjoint share', async () => {
    const store = new FakeObjectStore();
    const keys = Array.from({ length: 7 }, (_, i) => `part-${i}.csv`);
    for (const key of keys) store.put(`s3://bucket/batch/${key}`, `rows of ${key}\n`);
    const step = shellProcessing(
      'Score',
      `tr -d ' \\n' < /opt/ml/config/resourceconfig.json; echo; ${REPORT}`,
      {
        ProcessingResources: { ClusterConfig: { InstanceType: 'ml.m5.large', InstanceCount: 3, VolumeSizeInGB: 1 } },
        ProcessingInputs: [processingInput('input', 's3://bucket/batch/', '/opt/ml/processing/input', { S3DataDistributionType: 'ShardedByS3Key' })],
        ...processingOutputs([['output', 's3://bucket/out', '/opt/ml/processing/output']]),
      },
    );
    const result = await h.run(definition([step]), { store });
    expect(result.execution.PipelineExecutionStatus).toBe('Succeeded');
    const received = shares(result.lines, 'Score');
    expect(Object.keys(received).sort()).toEqual(['algo-1', 'algo-2', 'algo-3']);
    expect(Object.values(received).map((files) => files.length).sort()).toEqual([2, 2, 3]);
    expect(Object.values(received).flat().sort()).toEqual(keys);
    for (const host of ['algo-1', 'algo-2', 'algo-3']) {
      expect(result.lines).toContain(`[Score ${host}] {"current_host":"${host}","hosts":["algo-1","algo-2","algo-3"]}`);
      expect(store.text(`s3://bucket/out/${host}.txt`)!.trim().split(' ')).toEqual(received[host]);
    }
    expect(result.step('Score').Local.Attempts[0]!.Job!.LogFiles).toHaveLength(3);
  });

  it('gives every instance every object with FullyReplicated, and reads a ManifestFile input', async () => {
    const store = new FakeObjectStore();
    for (const key of ['a.csv', 'b.csv', 'c.csv']) store.put(`s3://bucket/data/${key}`, key);
    store.put('s3://bucket/manifests/m.json', JSON.stringify([{ prefix: 's3://bucket/data/' }, 'a.csv', 'c.csv']));
    const replicated = await h.run(
      definition([
        shellProcessing('Both', REPORT, {
          ProcessingResources: { ClusterConfig: { InstanceType: 'ml.m5.large', InstanceCount: 2, VolumeSizeInGB: 1 } },
          ProcessingInputs: [processingInput('input', 's3://bucket/data/', '/opt/ml/processing/input')],
          ...processingOutputs([['output', 's3://bucket/replicated', '/opt/ml/processing/output']]),
        }),
      ]),
      { store },
    );
    expect(shares(replicated.lines, 'Both')).toEqual({ 'algo-1': ['a.csv', 'b.csv', 'c.csv'], 'algo-2': ['a.csv', 'b.csv', 'c.csv'] });

    const manifest = await h.run(
      definition([
        shellProcessing('Listed', REPORT, {
          ProcessingInputs: [processingInput('input', 's3://bucket/manifests/m.json', '/opt/ml/processing/input', { S3DataType: 'ManifestFile' })],
          ...processingOutputs([['output', 's3://bucket/listed', '/opt/ml/processing/output']]),
        }),
      ]),
      { store },
    );
    expect(shares(manifest.lines, 'Listed')).toEqual({ 'algo-1': ['a.csv', 'c.csv'] });
  });

  it('fails with a ClientError when an input prefix holds no objects, and refuses what SageMaker refuses', async () => {
    const empty = await h.run(definition([shellProcessing('Empty', 'true', { ProcessingInputs: [processingInput('input', 's3://bucket/nothing/', '/opt/ml/processing/input')] })]));
    expect(empty.step('Empty').FailureReason).toMatch(/^ClientError: No S3 objects found under S3 URL "s3:\/\/bucket\/nothing\/"/);
    const outside = await h.run(definition([shellProcessing('Outside', 'true', { ProcessingInputs: [processingInput('input', 's3://bucket/x/', '/data')] })]));
    expect(outside.step('Outside').FailureReason).toBe('ValidationException: CreateProcessingJob: ProcessingInputs.0.S3Input.LocalPath: LocalPath must be a folder under /opt/ml/processing/');
    const pipe = await h.run(definition([shellProcessing('Piped', 'true', { ProcessingInputs: [processingInput('input', 's3://bucket/x/', '/opt/ml/processing/in', { S3InputMode: 'Pipe' })] })]));
    expect(pipe.step('Piped').FailureReason).toBe('ClientError: input input: Pipe input mode is not supported locally');
    const badUri = await h.run(definition([shellProcessing('BadUri', 'echo ran', processingOutputs([['out', 's3://b/out', '/opt/ml/processing/out']]))]));
    expect(badUri.step('BadUri').FailureReason).toBe(
      'ValidationException: CreateProcessingJob: ProcessingOutputConfig.Outputs.0.S3Output.S3Uri: S3 URI must be s3://<bucket>/<key> with a valid bucket name',
    );
    expect(badUri.lines).not.toContain('[BadUri] ran');
  });

  it('exposes ProcessingOutputConfig.Outputs[name].S3Output.S3Uri and ProcessingJobStatus to later steps', async () => {
    const result = await h.run(
      definition([
        shellProcessing('Produce', 'echo x > /opt/ml/processing/output/x', processingOutputs([['result', 's3://bucket/produced', '/opt/ml/processing/output']])),
        shellProcessing('Consume', 'echo "$FROM $STATUS"', {
          Environment: { FROM: { Get: "Steps.Produce.ProcessingOutputConfig.Outputs['result'].S3Output.S3Uri" }, STATUS: { Get: 'Steps.Produce.ProcessingJobStatus' } },
        }),
      ]),
    );
    expect(result.lines).toContain('[Consume] s3://bucket/produced Completed');
  });

  it("sees its runtime's files by their host path even when they live under /tmp, which is the job's own", async () => {
    expect(h.root.startsWith('/tmp/')).toBe(true); // the test runtime's root, like a checkout cloned under /tmp
    const hello = path.join(h.root, 'workdir', 'hello.txt');
    const result = await h.run(definition([shellProcessing('Reads', `cat ${hello}; touch /tmp/scratch && echo own tmp writable`)]));
    expect(result.step('Reads')).toMatchObject({ StepStatus: 'Succeeded' });
    expect(result.lines).toEqual(expect.arrayContaining(['[Reads] hello from the image', '[Reads] own tmp writable']));
  });

  it("keeps what a failed job wrote to /opt/ml/output/message as its ExitMessage, with SageMaker's failure reason", async () => {
    const result = await h.run(definition([shellProcessing('Fails', 'printf "input had no rows" > /opt/ml/output/message; exit 1')]));
    expect(result.execution.PipelineExecutionStatus).toBe('Failed');
    const step = result.step('Fails');
    expect(step.FailureReason).toBe('AlgorithmError: See job logs for more information, exit code: 1');
    expect(step.Local.Properties).toMatchObject({ ProcessingJobStatus: 'Failed', ExitMessage: 'input had no rows' });
  });
});

describe('where input objects land', () => {
  const { relativeToPrefix } = require('../../../scripts/local/pipelines/s3/transfer') as typeof import('../../../scripts/local/pipelines/s3/transfer');
  it.each([
    ['runs/1/evaluation/evaluation.json', 'runs/1/evaluation', 'evaluation.json'],
    ['runs/1/evaluation/evaluation.json', 'runs/1/evaluation/', 'evaluation.json'],
    ['runs/1/model/job/output/model.tar.gz', 'runs/1/model/job/output/model.tar.gz', 'model.tar.gz'],
    ['input/scoring/nested/part-0.csv', 'input/scoring/', 'nested/part-0.csv'],
    ['data/training.csv', 'data/train', 'training.csv'],
  ])('%s under prefix %s lands at %s', (key, prefix, expected) => {
    expect(relativeToPrefix(key, prefix)).toBe(expected);
  });
});
