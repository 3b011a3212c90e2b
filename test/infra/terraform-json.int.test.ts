// The way out of cdktf that the README documents: a stack's synthesized cdk.tf.json is native Terraform JSON
// configuration. Copied alone into a folder, plain terraform initializes and validates it. (An integration test for
// its cost: terraform installs a ~600 MB provider. No services are used.)
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { synthesize } from '../../main';
import { chooseProvider } from '../../scripts/local/deploy/provider-mirror';
import { temporaryDirectories } from './support/temporary';

jest.setTimeout(300_000);

const temporary = temporaryDirectories();

function terraform(cwd: string, args: string[]): { status: number | null; output: string } {
  // No TF_CLI_CONFIG_FILE of this machine and no checkpoint call: as on an operator's machine without network.
  const result = spawnSync('terraform', args, { cwd, encoding: 'utf8', env: { ...process.env, CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1', TF_CLI_CONFIG_FILE: '' } });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('leaving cdktf: cdk.tf.json as plain Terraform', () => {
  it('terraform init and validate accept the staging stack copied into a folder of its own', () => {
    execFileSync('terraform', ['version'], { stdio: 'ignore' });
    const outdir = temporary('cdktf-out-');
    synthesize({ outdir });
    const folder = temporary('plain-terraform-');
    const stackFile = path.join(outdir, 'stacks', 'staging', 'cdk.tf.json');
    copyFileSync(stackFile, path.join(folder, 'cdk.tf.json'));

    // This machine reaches no Terraform registry: use the provider mirror, and where it lacks the pinned version,
    // override the version (the same concession deploy:local makes). With registry access neither is needed.
    const stack = JSON.parse(readFileSync(stackFile, 'utf8')) as { terraform: { required_providers: { aws: { version: string } } } };
    const provider = chooseProvider(stack.terraform.required_providers.aws.version);
    if (provider.version !== provider.pinned) {
      writeFileSync(path.join(folder, 'provider_override.tf.json'), JSON.stringify({ terraform: { required_providers: { aws: { source: 'hashicorp/aws', version: provider.version } } } }));
    }
    // -backend=false: the S3 backend in cdk.tf.json needs the state bucket's account; the configuration is what is checked.
    const init = terraform(folder, ['init', '-backend=false', '-input=false', ...(provider.pluginDir ? [`-plugin-dir=${provider.pluginDir}`] : [])]);
    expect({ status: init.status, output: init.status === 0 ? '' : init.output }).toEqual({ status: 0, output: '' });

    const validate = terraform(folder, ['validate', '-json']);
    const report = JSON.parse(validate.output.slice(validate.output.indexOf('{'))) as { valid: boolean; error_count: number; diagnostics: { summary: string }[] };
    expect({ valid: report.valid, errors: report.diagnostics.filter((d) => (d as { severity?: string }).severity === 'error').map((d) => d.summary) }).toEqual({ valid: true, errors: [] });
    expect(stack).toMatchObject({ terraform: { backend: { s3: expect.any(Object) } } });
  });
});
