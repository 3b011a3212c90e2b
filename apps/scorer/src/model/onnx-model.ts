import { InferenceSession, Tensor } from 'onnxruntime-node';
import { ModelError } from '../errors';
import type { FeatureSchema } from './feature-schema';

export interface BatchPredictions {
  /** Index into schema.class_labels per row. */
  labelIndex: Int32Array;
  /** Row-major [rows, classes]. */
  probabilities: Float32Array;
  classes: number;
}

/** One ONNX Runtime session; scores a [N, F] float32 batch and checks the outputs match the feature schema. */
export class OnnxModel {
  private constructor(
    private readonly session: InferenceSession,
    private readonly schema: FeatureSchema,
  ) {}

  /** `threads`: ONNX Runtime's intra-op threads; a pipeline among several takes its share of the CPUs, not all of them. */
  static async load(modelPath: string, schema: FeatureSchema, threads?: number): Promise<OnnxModel> {
    let session: InferenceSession;
    try {
      session = await InferenceSession.create(modelPath, {
        graphOptimizationLevel: 'all',
        // Batches are small and of one size: the arena would keep its high-water mark for the whole run.
        enableCpuMemArena: false,
        ...(threads ? { intraOpNumThreads: threads, interOpNumThreads: 1 } : {}),
      });
    } catch (error) {
      throw new ModelError(`ONNX Runtime could not load ${modelPath}`, error);
    }
    const missingIn = [schema.input_name].filter((n) => !session.inputNames.includes(n));
    const missingOut = [schema.outputs.label, schema.outputs.probabilities].filter((n) => !session.outputNames.includes(n));
    if (missingIn.length > 0 || missingOut.length > 0) {
      throw new ModelError(
        `the ONNX graph does not match its feature schema: inputs ${session.inputNames.join(',')} / outputs ${session.outputNames.join(',')}, ` +
          `expected input ${schema.input_name} and outputs ${schema.outputs.label}, ${schema.outputs.probabilities} (export without ZipMap)`,
      );
    }
    return new OnnxModel(session, schema);
  }

  async score(features: Float32Array, rows: number): Promise<BatchPredictions> {
    const width = this.schema.features.length;
    const input = new Tensor('float32', features.subarray(0, rows * width), [rows, width]);
    let outputs: InferenceSession.ReturnType;
    try {
      outputs = await this.session.run({ [this.schema.input_name]: input });
    } catch (error) {
      throw new ModelError(`ONNX Runtime failed on a batch of ${rows} rows`, error);
    }
    const labels = outputs[this.schema.outputs.label];
    const probabilities = outputs[this.schema.outputs.probabilities];
    if (!(probabilities.data instanceof Float32Array)) throw new ModelError('probabilities output is not float32 (export without ZipMap)');
    const classes = this.schema.class_labels.length;
    if (probabilities.data.length !== rows * classes) {
      throw new ModelError(`probabilities output has ${probabilities.data.length} values, expected ${rows} rows x ${classes} classes`);
    }
    const labelIndex = new Int32Array(rows);
    const lookup = new Map(this.schema.class_labels.map((label, i) => [String(label), i]));
    const data = labels.data as ArrayLike<bigint | number | string>;
    for (let r = 0; r < rows; r++) {
      const index = lookup.get(String(data[r]));
      if (index === undefined) throw new ModelError(`the model predicted label ${String(data[r])}, which is not in class_labels`);
      labelIndex[r] = index;
    }
    return { labelIndex, probabilities: probabilities.data, classes };
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
