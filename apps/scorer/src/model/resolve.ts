import { mkdir, readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import type { ModelRef } from '../config/schema';
import { ModelError } from '../errors';
import type { Logger } from '../log';
import type { MlflowClient, ModelVersion } from '../mlflow/client';
import { MlmodelInfo, parseMlmodel } from './feature-schema';

export interface ResolvedModel extends MlmodelInfo {
  name: string;
  version: string;
  alias?: string;
  /** MLflow run that produced the model version, if known. */
  mlflowRunId?: string;
  artifactUri: string;
  onnxPath: string;
}

/**
 * alias or version → model version → download URI → MLmodel + ONNX file through the artifacts API.
 * Files are cached per name/version: a version's artifacts never change.
 */
export async function resolveModel(client: MlflowClient, ref: ModelRef, cacheDir: string, log: Logger): Promise<ResolvedModel> {
  const version: ModelVersion =
    'alias' in ref ? await client.getModelVersionByAlias(ref.name, ref.alias) : await client.getModelVersion(ref.name, ref.version);
  const artifactUri = await client.getDownloadUri(ref.name, version.version);
  const dir = path.join(cacheDir, encodeURIComponent(ref.name), version.version);
  await mkdir(dir, { recursive: true });
  const mlmodelPath = path.join(dir, 'MLmodel');
  if (!(await exists(mlmodelPath))) await client.downloadArtifact(artifactUri, 'MLmodel', mlmodelPath);
  const info = parseMlmodel(await readFile(mlmodelPath, 'utf8'));
  if (info.onnxFile.includes('..')) throw new ModelError(`the onnx flavor names an unsafe path: ${info.onnxFile}`);
  const onnxPath = path.join(dir, info.onnxFile);
  if (!(await exists(onnxPath))) await client.downloadArtifact(artifactUri, info.onnxFile, onnxPath);
  log.info('model_resolved', {
    model: ref.name,
    version: version.version,
    alias: 'alias' in ref ? ref.alias : undefined,
    artifactUri,
    features: info.featureSchema.features.length,
  });
  return {
    ...info,
    name: ref.name,
    version: version.version,
    alias: 'alias' in ref ? ref.alias : undefined,
    mlflowRunId: version.run_id || undefined,
    artifactUri,
    onnxPath,
  };
}

async function exists(file: string): Promise<boolean> {
  try {
    return (await stat(file)).size > 0;
  } catch {
    return false;
  }
}
