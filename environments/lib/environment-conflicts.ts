// Checks across all environment files at once: two environments must never share what would make them fight
// over the same real things. A copy of staging.ts saved as qa.ts would otherwise synthesize a stack with the same
// state file and the same resource names, and the first deploy of one would rewrite the other.
//
// - the same Terraform state object (remoteState bucket + key): the stacks would overwrite each other's state;
// - the same namePrefix in the same account: every resource name would collide (IAM role names are account-wide,
//   so this holds across regions too);
// - a shared Kafka topic on a shared broker: both would publish to (or dead-letter into) the same topic.
import type { EnvironmentConfig } from '../schema';
import { EnvironmentConfigError } from './config-error';

export interface LoadedEnvironment {
  readonly config: EnvironmentConfig;
  /** e.g. "environments/qa.ts". */
  readonly source: string;
}

/** Problems of the later file (by name) of each conflicting pair, each naming the other file; undefined if none. */
export function environmentConflicts(environments: readonly LoadedEnvironment[]): EnvironmentConfigError | undefined {
  const sorted = [...environments].sort((a, b) => a.source.localeCompare(b.source));
  const problems = new Map<string, string[]>();
  const report = (env: LoadedEnvironment, problem: string) => problems.set(env.source, [...(problems.get(env.source) ?? []), problem]);

  sorted.forEach((later, index) => {
    for (const earlier of sorted.slice(0, index)) {
      const [a, b] = [earlier.config, later.config];
      if (a.remoteState.bucket === b.remoteState.bucket && a.remoteState.key === b.remoteState.key) {
        report(
          later,
          `remoteState.key: must differ from ${earlier.source}, which keeps its state in the same object ` +
            `s3://${b.remoteState.bucket}/${b.remoteState.key} — the two stacks would overwrite each other's state`,
        );
      }
      if (a.namePrefix === b.namePrefix && a.account.id === b.account.id) {
        report(
          later,
          `namePrefix: must differ from ${earlier.source}, which uses "${b.namePrefix}" in the same account ${b.account.id} — ` +
            'every resource name (IAM roles are account-wide) would collide',
        );
      }
      const sharedBroker = b.kafka.brokers.find((broker) => a.kafka.brokers.includes(broker));
      const topicsA = new Set([a.kafka.topic, a.kafka.deadLetterTopic]);
      const sharedTopic = [b.kafka.topic, b.kafka.deadLetterTopic].find((topic) => topicsA.has(topic));
      if (sharedBroker && sharedTopic) {
        const field = sharedTopic === b.kafka.topic ? 'kafka.topic' : 'kafka.deadLetterTopic';
        report(
          later,
          `${field}: must differ from ${earlier.source}, which also uses topic "${sharedTopic}" on broker ${sharedBroker} — ` +
            'both environments would publish into the same topic',
        );
      }
    }
  });

  if (problems.size === 0) return undefined;
  const errors = [...problems].map(([source, lines]) => new EnvironmentConfigError(source, lines));
  return errors.length === 1 ? errors[0] : EnvironmentConfigError.combine(errors);
}
