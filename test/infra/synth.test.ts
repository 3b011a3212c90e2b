import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { synthesize } from '../../main';
import { EnvironmentConfigError } from '../../environments';
import { rawEnvironment } from './support/synthesized';
import { temporaryDirectories } from './support/temporary';

const temporary = temporaryDirectories();

describe('synth', () => {
  it('writes one cdk.tf.json per environment into the output folder', () => {
    const outdir = temporary('cdktf-out-');
    expect(synthesize({ outdir })).toEqual(['local', 'prod', 'staging']);
    for (const name of ['staging', 'prod']) {
      const stack = JSON.parse(readFileSync(path.join(outdir, 'stacks', name, 'cdk.tf.json'), 'utf8'));
      expect(Object.keys(stack.resource)).toContain('aws_sagemaker_pipeline');
      expect(stack.terraform.backend.s3.key).toBe(`ml-platform/${name}.tfstate`);
    }
  });

  it('fails on an invalid environment before writing anything, naming the file, field and fix', () => {
    const environments = temporary('environments-');
    const raw = rawEnvironment('staging') as Record<string, any>;
    raw.schedules.training.timezone = 'Berlin';
    writeFileSync(path.join(environments, 'staging.ts'), `module.exports = { default: ${JSON.stringify(raw)} };\n`);
    const outdir = path.join(temporary('cdktf-out-'), 'out');

    expect(() => synthesize({ environmentsDirectory: environments, outdir })).toThrow(EnvironmentConfigError);
    expect(() => synthesize({ environmentsDirectory: environments, outdir })).toThrow(
      'environments/staging.ts: schedules.training.timezone: must be an IANA time zone, e.g. "Europe/Berlin" or "UTC" — got "Berlin"',
    );
    expect(existsSync(outdir) ? readdirSync(outdir) : []).toEqual([]);
  });
});
