import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openExecutionStore, ResourceNotFound, type ExecutionDescription, type StepRecord } from '../../../scripts/local/pipelines';
import { ExecutionWriter } from '../../../scripts/local/pipelines/store/execution-store';

const pipelineArn = 'arn:aws:sagemaker:eu-central-1:000000000000:pipeline/p';
const record = (id: string, ownerPid: number, created: string): ExecutionDescription => ({
  PipelineArn: pipelineArn,
  PipelineExecutionArn: `${pipelineArn}/execution/${id}`,
  PipelineExecutionDisplayName: id,
  PipelineExecutionStatus: 'Executing',
  CreationTime: created,
  LastModifiedTime: created,
  PipelineParameters: [],
  ParallelismConfiguration: { MaxParallelExecutionSteps: 1 },
  Local: { ExecutionId: id, PipelineName: 'p', Folder: '', OwnerPid: ownerPid, Engine: 'namespace', StartTime: created },
});
const step = (name: string, status: StepRecord['StepStatus']): StepRecord => ({
  StepName: name,
  StepStatus: status,
  StartTime: '2026-11-23T01:00:00.000Z',
  AttemptCount: 1,
  Metadata: {},
  Local: { StepType: 'Processing', Attempts: [] },
});

describe('the execution store read by another process', () => {
  const storeDir = mkdtempSync(path.join(tmpdir(), 'pipelines-store-'));

  it('marks an execution Stopped itself when the process that ran it is gone', async () => {
    const deadPid = spawnSync('true').pid!;
    const writer = await ExecutionWriter.create(storeDir, 'aaaaaaaaaaaa', '{}');
    await writer.writeExecution(record('aaaaaaaaaaaa', deadPid, '2026-11-23T01:00:00.000Z'));
    await writer.writeSteps([step('Done', 'Succeeded'), step('Running', 'Executing')]);
    const store = openExecutionStore(storeDir);
    const stopped = await store.requestStop(`${pipelineArn}/execution/aaaaaaaaaaaa`);
    expect(stopped).toMatchObject({ PipelineExecutionStatus: 'Stopped', FailureReason: `the executor process ${deadPid} ended without finishing the execution` });
    expect((await store.listSteps(`${pipelineArn}/execution/aaaaaaaaaaaa`)).map((s) => [s.StepName, s.StepStatus])).toEqual([
      ['Done', 'Succeeded'],
      ['Running', 'Stopped'],
    ]);
  });

  it('leaves an execution whose process is alive to that process, and lists newest first', async () => {
    const writer = await ExecutionWriter.create(storeDir, 'bbbbbbbbbbbb', '{}');
    await writer.writeExecution(record('bbbbbbbbbbbb', process.pid, '2026-11-23T02:00:00.000Z'));
    const store = openExecutionStore(storeDir);
    await expect(store.requestStop(`${pipelineArn}/execution/bbbbbbbbbbbb`)).resolves.toMatchObject({ PipelineExecutionStatus: 'Executing' });
    expect(writer.stopRequested()).toBe(true);
    expect((await store.list(pipelineArn)).map((e) => e.Local.ExecutionId)).toEqual(['bbbbbbbbbbbb', 'aaaaaaaaaaaa']);
    await expect(store.describe(`${pipelineArn}/execution/cccccccccccc`)).rejects.toBeInstanceOf(ResourceNotFound);
  });
});
