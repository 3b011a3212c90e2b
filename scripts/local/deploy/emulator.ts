// Finds the AWS emulator to deploy into or run against: an explicit endpoint, AWS_ENDPOINT_URL, or a running
// local-services run whose emulator answers as the wanted account (its run record names the account).
import { AWS_TEST_CREDENTIALS } from '../services/aws';
import { defaultBaseDir } from '../services/paths';
import { listRuns } from '../services/run-registry';
import type { Endpoints } from '../services/types';
import type { Emulator } from './deploy';
import { DeployError } from './errors';

export interface EmulatorLookup {
  readonly accountId: string;
  readonly endpoint?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly baseDir?: string;
}

/** The running local-services emulator for an account, if any. */
export function runningEmulator(accountId: string, baseDir: string = defaultBaseDir): Emulator | undefined {
  for (const run of listRuns(baseDir)) {
    if (!run.ownerAlive) continue;
    const aws = (run.record?.endpoints as Endpoints | undefined)?.aws;
    if (aws?.accountId === accountId) return { endpointUrl: aws.endpointUrl, credentials: AWS_TEST_CREDENTIALS };
  }
  return undefined;
}

export function findEmulator(lookup: EmulatorLookup): Emulator {
  const env = lookup.env ?? process.env;
  const explicit = lookup.endpoint ?? env.AWS_ENDPOINT_URL;
  if (explicit) {
    // The emulator ignores signatures; test credentials keep real ones out of every request.
    return { endpointUrl: explicit, credentials: AWS_TEST_CREDENTIALS };
  }
  const running = runningEmulator(lookup.accountId, lookup.baseDir);
  if (running) return running;
  throw new DeployError(
    `no AWS emulator for account ${lookup.accountId} is running: start one with ` +
      `\`npm run services -- start --only aws --aws-account ${lookup.accountId}\` (or pass --endpoint / AWS_ENDPOINT_URL)`,
  );
}
