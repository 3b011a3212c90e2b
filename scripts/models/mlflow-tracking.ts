// The MLflow tracking calls a model copy needs (experiments, runs, MLflow 3 logged models), on the shared
// transport. The request shapes are those of MLflow's own Python client (mlflow/store/tracking/rest_store.py):
// a copy is logged exactly the way `mlflow.<flavor>.log_model` logs a model, so every MLflow reader,
// the scorer's resolver included, sees an ordinary logged model.
import { MlflowError, MlflowTransport } from '../../apps/scorer/src/mlflow';

export interface KeyValue {
  key: string;
  value: string;
}

export interface Metric {
  key: string;
  value: number;
  timestamp: number;
  step: number;
  model_id?: string;
}

export interface RunInfo {
  run_id: string;
  experiment_id: string;
  artifact_uri?: string;
  run_name?: string;
  status?: string;
}

export interface Run {
  info: RunInfo;
  data: { metrics?: Metric[]; params?: KeyValue[]; tags?: KeyValue[] };
}

export interface LoggedModel {
  info: {
    model_id: string;
    experiment_id: string;
    name: string;
    artifact_uri: string;
    status: string;
    model_type?: string;
    source_run_id?: string;
    tags?: KeyValue[];
  };
  data?: { params?: KeyValue[]; metrics?: Metric[] };
}

export type RunStatus = 'FINISHED' | 'FAILED' | 'KILLED';
export type LoggedModelStatus = 'LOGGED_MODEL_READY' | 'LOGGED_MODEL_UPLOAD_FAILED';

// MLflow's per-request limits of log-batch (mlflow/utils/validation.py).
const MAX_PARAMS_OR_TAGS_PER_BATCH = 100;
const MAX_METRICS_PER_BATCH = 1000;

const API = '/api/2.0/mlflow';

export class MlflowTracking {
  constructor(private readonly transport: MlflowTransport) {}

  async getRun(runId: string): Promise<Run> {
    const body = await this.transport.json<{ run: Run }>('GET', `${API}/runs/get`, { query: { run_id: runId } });
    return body.run;
  }

  async getLoggedModel(modelId: string): Promise<LoggedModel> {
    const body = await this.transport.json<{ model: LoggedModel }>('GET', `${API}/logged-models/${encodeURIComponent(modelId)}`);
    return body.model;
  }

  /** The experiment's id, creating it when it does not exist yet (a concurrent creation is fine too). */
  async ensureExperiment(name: string): Promise<string> {
    const existing = await this.experimentId(name);
    if (existing) return existing;
    try {
      const body = await this.transport.json<{ experiment_id: string }>('POST', `${API}/experiments/create`, { body: { name } });
      return body.experiment_id;
    } catch (error) {
      if (error instanceof MlflowError && error.errorCode === 'RESOURCE_ALREADY_EXISTS') {
        const id = await this.experimentId(name);
        if (id) return id;
      }
      throw error;
    }
  }

  async createRun(experimentId: string, options: { runName: string; user: string; tags: Record<string, string> }): Promise<RunInfo> {
    const body = await this.transport.json<{ run: Run }>('POST', `${API}/runs/create`, {
      body: {
        experiment_id: experimentId,
        run_name: options.runName,
        user_id: options.user,
        start_time: Date.now(),
        tags: toKeyValues({ ...options.tags, 'mlflow.user': options.user, 'mlflow.runName': options.runName }),
      },
    });
    return body.run.info;
  }

  /** log-batch in as many requests as MLflow's per-request limits need. */
  async logBatch(runId: string, data: { metrics?: Metric[]; params?: KeyValue[]; tags?: KeyValue[] }): Promise<void> {
    for (const params of chunks(data.params ?? [], MAX_PARAMS_OR_TAGS_PER_BATCH)) {
      await this.transport.json('POST', `${API}/runs/log-batch`, { body: { run_id: runId, params } });
    }
    for (const tags of chunks(data.tags ?? [], MAX_PARAMS_OR_TAGS_PER_BATCH)) {
      await this.transport.json('POST', `${API}/runs/log-batch`, { body: { run_id: runId, tags } });
    }
    for (const metrics of chunks(data.metrics ?? [], MAX_METRICS_PER_BATCH)) {
      await this.transport.json('POST', `${API}/runs/log-batch`, { body: { run_id: runId, metrics } });
    }
  }

  async endRun(runId: string, status: RunStatus): Promise<void> {
    await this.transport.json('POST', `${API}/runs/update`, { body: { run_id: runId, status, end_time: Date.now() } });
  }

  /** A PENDING logged model whose artifact_uri is where its files go; finalize it once they are there. */
  async createLoggedModel(
    experimentId: string,
    options: { name: string; sourceRunId: string; modelType?: string; params: KeyValue[]; tags: KeyValue[] },
  ): Promise<LoggedModel> {
    const [first, ...rest] = chunks(options.params, MAX_PARAMS_OR_TAGS_PER_BATCH);
    const body = await this.transport.json<{ model: LoggedModel }>('POST', `${API}/logged-models`, {
      body: {
        experiment_id: experimentId,
        name: options.name,
        source_run_id: options.sourceRunId,
        ...(options.modelType ? { model_type: options.modelType } : {}),
        params: first ?? [],
        tags: options.tags,
      },
    });
    const modelId = body.model.info.model_id;
    for (const params of rest) {
      await this.transport.json('POST', `${API}/logged-models/${encodeURIComponent(modelId)}/params`, { body: { model_id: modelId, params } });
    }
    return body.model;
  }

  /** Links the model to the run as its output, as log_model does (the run page lists it). */
  async logModelOutput(runId: string, modelId: string): Promise<void> {
    await this.transport.json('POST', `${API}/runs/outputs`, { body: { run_id: runId, models: [{ model_id: modelId, step: 0 }] } });
  }

  async finalizeLoggedModel(modelId: string, status: LoggedModelStatus): Promise<void> {
    await this.transport.json('PATCH', `${API}/logged-models/${encodeURIComponent(modelId)}`, { body: { model_id: modelId, status } });
  }

  private async experimentId(name: string): Promise<string | undefined> {
    try {
      const body = await this.transport.json<{ experiment: { experiment_id: string } }>('GET', `${API}/experiments/get-by-name`, {
        query: { experiment_name: name },
      });
      return body.experiment.experiment_id;
    } catch (error) {
      if (error instanceof MlflowError && error.notFound) return undefined;
      throw error;
    }
  }
}

export function toKeyValues(record: Record<string, string>): KeyValue[] {
  return Object.entries(record).map(([key, value]) => ({ key, value }));
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
