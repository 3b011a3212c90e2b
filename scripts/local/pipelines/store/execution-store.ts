// Execution records on disk, one folder per execution under <storeDir>/executions/<execution id>/:
//   execution.json   DescribePipelineExecution shape (+ Local)
//   steps.json       ListPipelineExecutionSteps shape (+ Local), newest first
//   events.jsonl     every EventBridge event emitted, one per line
//   definition.json  the definition as executed
//   stop-requested   present once a stop was asked for (by this or another process)
//   jobs/<job name>/ the jobs' folders and logs
// Writes replace files atomically (write, then rename), so a reader in another process never sees half a record.
import { existsSync } from 'node:fs';
import { appendFile, mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ResourceNotFound } from '../errors';
import { TERMINAL_EXECUTION_STATUSES, type ExecutionDescription, type StepRecord } from './records';

export const DEFAULT_STORE_DIR = path.resolve(__dirname, '..', '..', '..', '..', '.local', 'pipelines');

export const STOP_FILE = 'stop-requested';

export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(value, null, 2)}\n`);
  await rename(temporary, file);
}

export const executionFolder = (storeDir: string, executionId: string) => path.join(storeDir, 'executions', executionId);

/** The execution id at the end of an execution ARN (…:pipeline/<name>/execution/<id>). */
export function executionIdOf(executionArn: string): string | undefined {
  return /\/execution\/([a-z0-9]+)$/.exec(executionArn)?.[1];
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

export interface ExecutionStore {
  readonly dir: string;
  /** Executions, newest first; only those of one pipeline when its ARN is given. */
  list(pipelineArn?: string): Promise<ExecutionDescription[]>;
  describe(executionArn: string): Promise<ExecutionDescription>;
  /** The steps that started, newest first (ListPipelineExecutionSteps' default order). */
  listSteps(executionArn: string): Promise<StepRecord[]>;
  /**
   * StopPipelineExecution: asks the process running the execution to stop it (it marks it Stopping, stops the
   * jobs, then Stopped). When that process is gone, the records are marked Stopped here.
   */
  requestStop(executionArn: string): Promise<ExecutionDescription>;
}

export function openExecutionStore(storeDir: string = DEFAULT_STORE_DIR): ExecutionStore {
  const folderOf = (arn: string) => {
    const id = executionIdOf(arn);
    const folder = id && executionFolder(storeDir, id);
    if (!folder || !existsSync(path.join(folder, 'execution.json'))) throw new ResourceNotFound(arn, storeDir);
    return folder;
  };
  const readExecution = async (folder: string) => JSON.parse(await readFile(path.join(folder, 'execution.json'), 'utf8')) as ExecutionDescription;
  const readSteps = async (folder: string) =>
    JSON.parse(await readFile(path.join(folder, 'steps.json'), 'utf8').catch(() => '[]')) as StepRecord[];

  return {
    dir: storeDir,
    async list(pipelineArn) {
      const root = path.join(storeDir, 'executions');
      const ids = await readdir(root).catch(() => [] as string[]);
      const found: ExecutionDescription[] = [];
      for (const id of ids) {
        const execution = await readExecution(path.join(root, id)).catch(() => undefined);
        if (execution && (pipelineArn === undefined || execution.PipelineArn === pipelineArn)) found.push(execution);
      }
      return found.sort((a, b) => (a.CreationTime < b.CreationTime ? 1 : a.CreationTime > b.CreationTime ? -1 : 0));
    },
    describe: async (arn) => readExecution(folderOf(arn)),
    listSteps: async (arn) => readSteps(folderOf(arn)),
    async requestStop(arn) {
      const folder = folderOf(arn);
      const execution = await readExecution(folder);
      if (TERMINAL_EXECUTION_STATUSES.includes(execution.PipelineExecutionStatus)) return execution;
      await writeFile(path.join(folder, STOP_FILE), `${new Date().toISOString()} pid ${process.pid}\n`);
      if (isAlive(execution.Local.OwnerPid)) return execution;
      // Nobody is running it any more (the executor was killed): record what is known to be true now.
      const now = new Date().toISOString();
      const steps = (await readSteps(folder)).map((step) =>
        ['Succeeded', 'Failed', 'Stopped'].includes(step.StepStatus) ? step : { ...step, StepStatus: 'Stopped' as const, EndTime: now },
      );
      await writeJsonAtomic(path.join(folder, 'steps.json'), steps);
      const stopped: ExecutionDescription = {
        ...execution,
        PipelineExecutionStatus: 'Stopped',
        FailureReason: `the executor process ${execution.Local.OwnerPid} ended without finishing the execution`,
        LastModifiedTime: now,
        Local: { ...execution.Local, EndTime: now },
      };
      await writeJsonAtomic(path.join(folder, 'execution.json'), stopped);
      return stopped;
    },
  };
}

/** The writing side, used only by the process that runs the execution. Writes are serialized in call order. */
export class ExecutionWriter {
  private chain: Promise<void> = Promise.resolve();

  constructor(readonly folder: string) {}

  static async create(storeDir: string, executionId: string, definitionJson: string): Promise<ExecutionWriter> {
    const folder = executionFolder(storeDir, executionId);
    await mkdir(path.join(folder, 'jobs'), { recursive: true });
    let pretty = definitionJson;
    try {
      pretty = JSON.stringify(JSON.parse(definitionJson), null, 2);
    } catch {
      // Stored as given.
    }
    await writeFile(path.join(folder, 'definition.json'), `${pretty}\n`);
    return new ExecutionWriter(folder);
  }

  private enqueue(write: () => Promise<void>): Promise<void> {
    this.chain = this.chain.then(write, write);
    return this.chain;
  }

  writeExecution(execution: ExecutionDescription): Promise<void> {
    const snapshot = structuredClone(execution);
    return this.enqueue(() => writeJsonAtomic(path.join(this.folder, 'execution.json'), snapshot));
  }

  writeSteps(steps: readonly StepRecord[]): Promise<void> {
    const snapshot = structuredClone([...steps].sort((a, b) => (a.StartTime < b.StartTime ? 1 : a.StartTime > b.StartTime ? -1 : 0)));
    return this.enqueue(() => writeJsonAtomic(path.join(this.folder, 'steps.json'), snapshot));
  }

  appendEvent(event: unknown): Promise<void> {
    const line = `${JSON.stringify(event)}\n`;
    return this.enqueue(() => appendFile(path.join(this.folder, 'events.jsonl'), line));
  }

  stopRequested(): boolean {
    return existsSync(path.join(this.folder, STOP_FILE));
  }

  requestStop(): Promise<void> {
    return writeFile(path.join(this.folder, STOP_FILE), `${new Date().toISOString()} pid ${process.pid}\n`);
  }

  flush(): Promise<void> {
    return this.chain;
  }
}
