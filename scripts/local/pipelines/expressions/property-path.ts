// Property paths as the definition language writes them: `ModelArtifacts.S3ModelArtifacts`,
// `ProcessingOutputConfig.Outputs['evaluation'].S3Output.S3Uri`, `FinalMetricDataList['auc'].Value`, `a[0].b`.
// The same syntax serves Std:JsonGet paths into property files (`metrics.auc.value`, `items[2].name`).

export type PathSegment = { kind: 'field'; name: string } | { kind: 'key'; key: string } | { kind: 'index'; index: number };

export class PathSyntaxError extends Error {
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(`invalid path "${path}": ${detail}`);
    this.name = 'PathSyntaxError';
  }
}

export function parsePath(path: string): PathSegment[] {
  const segments: PathSegment[] = [];
  let rest = path.startsWith('$.') ? path.slice(2) : path;
  let first = true;
  while (rest.length > 0) {
    let match: RegExpExecArray | null;
    if ((match = /^\[\s*'([^']*)'\s*\]/.exec(rest)) || (match = /^\[\s*"([^"]*)"\s*\]/.exec(rest))) {
      segments.push({ kind: 'key', key: match[1]! });
    } else if ((match = /^\[\s*(\d+)\s*\]/.exec(rest))) {
      segments.push({ kind: 'index', index: Number(match[1]) });
    } else if ((match = (first ? /^([^.[\]]+)/ : /^\.([^.[\]]+)/).exec(rest))) {
      segments.push({ kind: 'field', name: match[1]! });
    } else {
      throw new PathSyntaxError(path, `cannot read "${rest}"`);
    }
    rest = rest.slice(match[0].length);
    first = false;
  }
  if (segments.length === 0) throw new PathSyntaxError(path, 'empty');
  return segments;
}

/** Lists SageMaker lets you index by name, and the field that names their members. */
const LIST_KEYS: Record<string, string> = {
  Outputs: 'OutputName',
  ProcessingInputs: 'InputName',
  FinalMetricDataList: 'MetricName',
  InputDataConfig: 'ChannelName',
};

const MISSING = Symbol('missing');

/**
 * Follows a parsed path through a value. A `['key']` segment on a list selects the member whose naming field
 * (OutputName, MetricName, …) equals the key; on an object it reads the field. Returns MISSING when any part of
 * the path does not exist.
 */
export function follow(value: unknown, segments: readonly PathSegment[]): unknown {
  let current: unknown = value;
  let lastField = '';
  for (const segment of segments) {
    if (current === null || current === undefined) return MISSING;
    if (segment.kind === 'field') {
      if (typeof current !== 'object' || Array.isArray(current) || !(segment.name in current)) return MISSING;
      current = (current as Record<string, unknown>)[segment.name];
      lastField = segment.name;
    } else if (segment.kind === 'index') {
      if (!Array.isArray(current) || segment.index >= current.length) return MISSING;
      current = current[segment.index];
    } else if (Array.isArray(current)) {
      const keyField = LIST_KEYS[lastField];
      const found = keyField ? current.find((item) => (item as Record<string, unknown> | null)?.[keyField] === segment.key) : undefined;
      if (found === undefined) return MISSING;
      current = found;
    } else if (typeof current === 'object' && segment.key in current) {
      current = (current as Record<string, unknown>)[segment.key];
    } else {
      return MISSING;
    }
  }
  return current;
}

export const isMissing = (value: unknown): value is typeof MISSING => value === MISSING;
