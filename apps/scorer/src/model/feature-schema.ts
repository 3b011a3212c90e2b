import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ModelError } from '../errors';

/** `metadata.feature_schema` of the MLmodel file, as agreed in docs/container-interface.md. */
export const featureSchemaSchema = z.object({
  schema_version: z.literal(1),
  entity_id: z.string().min(1),
  target: z.string().optional(),
  input_name: z.string().min(1).default('features'),
  features: z
    .array(
      z.discriminatedUnion('type', [
        z.object({ name: z.string().min(1), type: z.literal('number'), nullable: z.boolean().default(false) }),
        z.object({
          name: z.string().min(1),
          type: z.literal('category'),
          categories: z.array(z.string()).min(1),
          nullable: z.boolean().default(false),
        }),
      ]),
    )
    .min(1),
  class_labels: z.array(z.union([z.number(), z.string()])).min(1),
  outputs: z.object({ label: z.string().min(1), probabilities: z.string().min(1) }).default({ label: 'label', probabilities: 'probabilities' }),
});

export type FeatureSchema = z.infer<typeof featureSchemaSchema>;
export type FeatureSpec = FeatureSchema['features'][number];

export interface MlmodelInfo {
  featureSchema: FeatureSchema;
  /** The ONNX file inside the model folder, as named by the onnx flavor. */
  onnxFile: string;
}

/** Parses the MLmodel YAML; `feature_schema` may be stored as a mapping or as a JSON string. */
export function parseMlmodel(text: string): MlmodelInfo {
  let doc: { flavors?: { onnx?: { data?: string } }; metadata?: { feature_schema?: unknown } };
  try {
    doc = parseYaml(text) ?? {};
  } catch (error) {
    throw new ModelError('the MLmodel file is not valid YAML', error);
  }
  const onnxFile = doc.flavors?.onnx?.data;
  if (!onnxFile) throw new ModelError('the MLmodel file has no onnx flavor (flavors.onnx.data): log the model with mlflow.onnx');
  let raw = doc.metadata?.feature_schema;
  if (raw === undefined) throw new ModelError('the MLmodel file has no metadata.feature_schema: the trainer must log it with the model');
  if (typeof raw === 'string') {
    try {
      raw = JSON.parse(raw);
    } catch (error) {
      throw new ModelError('metadata.feature_schema is a string but not JSON', error);
    }
  }
  const parsed = featureSchemaSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new ModelError(`metadata.feature_schema is invalid: ${problems}`);
  }
  return { featureSchema: parsed.data, onnxFile };
}
