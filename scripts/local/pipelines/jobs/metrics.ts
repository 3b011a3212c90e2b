// FinalMetricDataList of a training job: SageMaker scans the algorithm's log lines with each
// AlgorithmSpecification.MetricDefinitions regex (the first capture group is the value) and keeps the last value.

export interface MetricDefinition {
  readonly Name: string;
  readonly Regex: string;
}

export interface MetricValue {
  readonly MetricName: string;
  readonly Value: number;
  readonly Timestamp: string;
}

export class MetricScanner {
  private readonly patterns: Array<{ name: string; regex: RegExp }>;
  private readonly last = new Map<string, MetricValue>();

  constructor(definitions: readonly MetricDefinition[] = []) {
    this.patterns = definitions.map((definition) => ({ name: definition.Name, regex: new RegExp(definition.Regex) }));
  }

  scan(line: string): void {
    for (const { name, regex } of this.patterns) {
      const match = regex.exec(line);
      const value = match ? Number(match[1] ?? match[0]) : NaN;
      if (Number.isFinite(value)) this.last.set(name, { MetricName: name, Value: value, Timestamp: new Date().toISOString() });
    }
  }

  finalMetrics(): MetricValue[] {
    return [...this.last.values()];
  }
}
