import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadEnvironment, readImageTagsOverride } from '../../environments';
import { buildPushCommand } from '../../scripts/images/build-push';
import { existsCommand, planAsShell, planBuildPush, shellQuote } from '../../scripts/images/plan';
import { recordImageTags, readImageTags } from '../../scripts/images/tag-file';
import { buildPushInput } from '../../scripts/images/targets';
import { checkTools } from '../../scripts/images/run-commands';
import { ExitCode } from '../../scripts/cli/errors';
import { captureIo } from './support';

describe('the commit inside the images', () => {
  it.each(['trainer', 'scorer'])('the %s Dockerfile turns the GIT_SHA build argument into the revision label and GIT_SHA of its final stage', (image) => {
    const dockerfile = readFileSync(path.resolve(`containers/${image}/Dockerfile`), 'utf8');
    const finalStage = dockerfile.split(/^FROM /m).pop()!;
    expect(finalStage).toMatch(/^ARG GIT_SHA=unknown$/m);
    expect(finalStage).toMatch(/^LABEL org\.opencontainers\.image\.revision=\$GIT_SHA$/m);
    expect(finalStage).toMatch(/^ENV GIT_SHA=\$GIT_SHA$/m);
  });
});

describe('the build and push plan', () => {
  const staging = loadEnvironment('staging');
  const registry = `${staging.account.id}.dkr.ecr.${staging.account.region}.amazonaws.com`;

  it('logs in to the environment\'s registry, builds both images for linux/amd64, then pushes them, with the exact commands', () => {
    const lines = planAsShell(planBuildPush(buildPushInput(staging, 'abc1234', 'abc1234', 'linux/amd64')));
    expect(lines).toEqual([
      `aws ecr get-login-password --region ${staging.account.region} | docker login --username AWS --password-stdin ${registry}`,
      `docker build --platform linux/amd64 --file containers/trainer/Dockerfile --tag ${registry}/mlp-staging/trainer:abc1234 --build-arg GIT_SHA=abc1234 .`,
      `docker build --platform linux/amd64 --file containers/scorer/Dockerfile --tag ${registry}/mlp-staging/scorer:abc1234 --build-arg GIT_SHA=abc1234 .`,
      `docker push ${registry}/mlp-staging/trainer:abc1234`,
      `docker push ${registry}/mlp-staging/scorer:abc1234`,
    ]);
  });

  it('pushes to the repositories the stacks deploy (prod differs from staging)', () => {
    const prod = loadEnvironment('prod');
    const pushes = planBuildPush(buildPushInput(prod, 't1', 't1', 'linux/amd64')).filter((c) => c.argv[1] === 'push');
    expect(pushes.map((c) => c.argv[2])).toEqual([
      `${prod.account.id}.dkr.ecr.${prod.account.region}.amazonaws.com/mlp-prod/trainer:t1`,
      `${prod.account.id}.dkr.ecr.${prod.account.region}.amazonaws.com/mlp-prod/scorer:t1`,
    ]);
  });

  it('builds and pushes only the images still missing from ECR, after logging in', () => {
    const lines = planAsShell(planBuildPush(buildPushInput(staging, 'abc1234', 'abc1234', 'linux/amd64'), ['scorer']));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^aws ecr get-login-password .* \| docker login /);
    expect(lines.slice(1).every((line) => line.includes('/mlp-staging/scorer:abc1234'))).toBe(true);
    expect(planBuildPush(buildPushInput(staging, 'abc1234', 'abc1234', 'linux/amd64'), [])).toEqual([]);
  });

  it('checks whether a tag is already pushed with the repository name inside the registry', () => {
    expect(planAsShell([existsCommand(buildPushInput(staging, 'abc1234', 'abc1234', 'linux/amd64'), 'trainer')])).toEqual([
      `aws ecr describe-images --region ${staging.account.region} --repository-name mlp-staging/trainer --image-ids imageTag=abc1234`,
    ]);
  });

  it('refuses a tag Docker would reject', () => {
    expect(() => planBuildPush(buildPushInput(staging, 'bad tag', 'x', 'linux/amd64'))).toThrow('Image tag "bad tag" is not a valid Docker tag');
  });

  it('quotes shell arguments that need it', () => {
    expect(shellQuote(['echo', 'a b', "it's", 'plain-1.0'])).toBe(`echo 'a b' 'it'\\''s' plain-1.0`);
  });

  it('--dry-run prints the commands and the tag file change and writes nothing', async () => {
    const io = captureIo();
    const code = await buildPushCommand(['--env', 'staging', '--dry-run', '--tag', 'feedbee'], io);
    expect(code).toBe(ExitCode.ok);
    const text = io.stdout.join('\n');
    expect(text).toContain(`docker push ${registry}/mlp-staging/scorer:feedbee`);
    expect(text).toContain('# then write environments/image-tags/staging.json: {"trainer":"feedbee","scorer":"feedbee"}');
    const recorded = await readImageTags(path.resolve('environments/image-tags/staging.json'));
    expect(recorded?.trainer).not.toBe('feedbee');
  });

  it('refuses an unknown environment as a usage error naming the known ones', async () => {
    const io = captureIo();
    await expect(buildPushCommand(['--env', 'qa', '--dry-run'], io)).resolves.toBe(ExitCode.usage);
    expect(io.stderr.join('\n')).toMatch(/no such environment — known: .*prod.*staging/);
  });

  it('refuses "latest": the repositories are immutable', async () => {
    const io = captureIo();
    await expect(buildPushCommand(['--env', 'staging', '--dry-run', '--tag', 'latest'], io)).resolves.toBe(ExitCode.usage);
  });
});

describe('a real build and push on a machine without a usable Docker', () => {
  const bin = mkdtempSync(path.join(os.tmpdir(), 'fake-bin-'));

  it('fails clearly when docker is not installed', () => {
    expect(() => checkTools({ PATH: bin })).toThrow('docker is not installed (or not on PATH): install Docker, or use --dry-run to print the commands');
  });

  it('fails clearly when the docker client cannot reach an engine, quoting docker\'s reason', () => {
    const docker = path.join(bin, 'docker');
    writeFileSync(docker, '#!/bin/sh\necho "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" >&2\nexit 1\n');
    chmodSync(docker, 0o755);
    expect(() => checkTools({ PATH: `${bin}:/usr/bin:/bin` })).toThrow(
      'docker is installed but its engine is not reachable (Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running): start the Docker engine, or use --dry-run',
    );
  });
});

describe('recording the pushed tag for the environment config', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'image-tags-'));

  it('writes {"trainer","scorer"} in a file the environment loader accepts', async () => {
    const file = path.join(dir, 'image-tags', 'staging.json');
    await recordImageTags(file, { trainer: 'abc1234', scorer: 'abc1234' });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ trainer: 'abc1234', scorer: 'abc1234' });
    expect(readImageTagsOverride(file, 'environments/image-tags/staging.json')?.tags).toEqual({ trainer: 'abc1234', scorer: 'abc1234' });
  });

  it('keeps the other image\'s tag when only one is recorded', async () => {
    const file = path.join(dir, 'partial.json');
    writeFileSync(file, JSON.stringify({ trainer: 'old', scorer: 'old' }));
    await expect(recordImageTags(file, { scorer: 'new' })).resolves.toEqual({ trainer: 'old', scorer: 'new' });
  });

  it('refuses to build on a file that is not a tag record, naming the file', async () => {
    const file = path.join(dir, 'broken.json');
    writeFileSync(file, JSON.stringify({ trainer: 1 }));
    await expect(recordImageTags(file, { scorer: 'x' })).rejects.toThrow(`${file} does not hold {"trainer": "<tag>", "scorer": "<tag>"}`);
  });
});
