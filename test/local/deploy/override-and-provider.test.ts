import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { endpointServices, renderOverride } from '../../../scripts/local/deploy/override';
import { chooseProvider, describeProvider, mirrorsInCliConfig } from '../../../scripts/local/deploy/provider-mirror';
import { ApplyProgress, errorBlock } from '../../../scripts/local/deploy/terraform';

const stack = {
  terraform: { required_providers: { aws: { version: '6.25.0' } } },
  resource: { aws_s3_bucket: {}, aws_sagemaker_pipeline: {}, aws_cloudwatch_event_rule: {}, aws_cloudwatch_metric_alarm: {} },
  data: { aws_iam_policy_document: {}, aws_caller_identity: {} },
};

describe('the override file for an apply into the emulator', () => {
  it('points every service the stack uses at the emulator, and sts for the account check', () => {
    expect(endpointServices(stack)).toEqual(['cloudwatch', 'events', 's3', 'sagemaker', 'sts']);
  });

  it('refuses a resource type it has no endpoint for, instead of letting terraform call real AWS', () => {
    expect(() => endpointServices({ resource: { aws_lambda_function: {} } })).toThrow(/no emulator endpoint is known for aws_lambda_function/);
  });

  it('replaces the backend by local state and overrides the provider version only when asked', () => {
    const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
    const same = renderOverride({ stack, endpointUrl: 'http://127.0.0.1:1', stateFile: '/tmp/s.tfstate', credentials }) as any;
    expect(same.terraform).toEqual({ backend: { local: { path: '/tmp/s.tfstate' } } });
    expect(same.provider.aws[0]).toEqual(expect.objectContaining({ access_key: 'testing', skip_credentials_validation: true, s3_use_path_style: true }));
    expect(same.provider.aws[0].endpoints[0].sagemaker).toBe('http://127.0.0.1:1');
    const other = renderOverride({ stack, endpointUrl: 'http://127.0.0.1:1', stateFile: '/tmp/s.tfstate', credentials, providerVersion: '5.100.0' }) as any;
    expect(other.terraform.required_providers).toEqual({ aws: { source: 'hashicorp/aws', version: '5.100.0' } });
  });
});

describe('choosing the provider', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mirror-'));
  const platform = `${process.platform}_${process.arch === 'x64' ? 'amd64' : process.arch}`;
  const mirror = (name: string, versions: string[]) => {
    for (const v of versions) fs.mkdirSync(path.join(root, name, 'registry.terraform.io/hashicorp/aws', v, platform), { recursive: true });
    return path.join(root, name);
  };
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
  const noMirrors = { HOME: path.join(root, 'home'), XDG_DATA_DIRS: path.join(root, 'none') };

  it('uses the pinned version when a mirror has it', () => {
    const dir = mirror('exact', ['5.100.0', '6.25.0']);
    expect(chooseProvider('6.25.0', { mirror: dir, env: noMirrors })).toEqual({ pluginDir: dir, source: '--plugin-dir', version: '6.25.0', pinned: '6.25.0' });
  });

  it("uses the mirror's newest version otherwise, and says it differs from the pin", () => {
    const dir = mirror('older', ['5.9.0', '5.100.0']);
    const choice = chooseProvider('6.25.0', { env: { ...noMirrors, TF_PLUGIN_MIRROR: dir } });
    expect(choice.version).toBe('5.100.0');
    expect(describeProvider(choice)).toBe(`provider hashicorp/aws 5.100.0 from the mirror ${dir} (TF_PLUGIN_MIRROR) — the stacks pin 6.25.0, which it does not have, so this local apply overrides the version`);
  });

  it('finds a mirror by searching when none is configured, and falls back to the registry', () => {
    const dir = mirror('search-root/deep', ['5.100.0']);
    expect(chooseProvider('6.25.0', { env: noMirrors, searchRoots: [path.join(root, 'search-root')] }).pluginDir).toBe(dir);
    expect(chooseProvider('6.25.0', { env: noMirrors, searchRoots: [path.join(root, 'empty')] })).toEqual({ source: 'the Terraform registry', version: '6.25.0', pinned: '6.25.0' });
  });

  it('reads filesystem mirrors from the Terraform CLI configuration', () => {
    const file = path.join(root, 'terraformrc');
    fs.writeFileSync(file, 'provider_installation {\n  filesystem_mirror {\n    path    = "/srv/mirror"\n    include = ["registry.terraform.io/*/*"]\n  }\n  direct {}\n}\n');
    expect(mirrorsInCliConfig(file)).toEqual(['/srv/mirror']);
    expect(mirrorsInCliConfig(path.join(root, 'missing'))).toEqual([]);
  });

  it('names a configured mirror that holds no provider', () => {
    expect(() => chooseProvider('6.25.0', { mirror: path.join(root, 'nothing'), env: noMirrors })).toThrow(/holds no hashicorp\/aws build/);
  });
});

describe('terraform output for people', () => {
  it('sums up per-resource lines into a progress line at most every interval', () => {
    const reported: string[] = [];
    let now = 0;
    const progress = new ApplyProgress((line) => reported.push(line), 10_000, () => now);
    progress.line('Plan: 3 to add, 0 to change, 0 to destroy.');
    progress.line('aws_s3_bucket.b: Creating...');
    progress.line('aws_sqs_queue.q: Creating...');
    progress.line('aws_s3_bucket.b: Creation complete after 0s [id=b]');
    now = 10_000;
    progress.line('aws_sqs_queue.q: Still creating... [10s elapsed]');
    progress.line('aws_sqs_queue.q: Creation complete after 12s');
    progress.line('Apply complete! Resources: 3 added, 0 changed, 0 destroyed.');
    expect(reported).toEqual(['Plan: 3 to add, 0 to change, 0 to destroy.', '1/3 done; waiting for aws_sqs_queue', 'Apply complete! Resources: 3 added, 0 changed, 0 destroyed.']);
  });

  it("quotes terraform's error block, not the whole output", () => {
    const output = ['Refreshing state...', '│ Error: creating S3 Bucket (x): BucketAlreadyExists', '│', '│   with aws_s3_bucket.x,', ''].join('\n');
    expect(errorBlock(output)).toBe('│ Error: creating S3 Bucket (x): BucketAlreadyExists\n│\n│   with aws_s3_bucket.x,');
  });
});
