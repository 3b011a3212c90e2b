import { mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_RUNTIMES_FILE, LocalEnvironmentError, loadRuntimeMapping, repositoryOf } from '../../../scripts/local/pipelines';
import { forgetPreparedRuntimes, prepareRuntime } from '../../../scripts/local/pipelines/jobs/runtimes';
import { imageUri, loadEnvironment } from '../../../environments';

const temp = () => mkdtempSync(path.join(tmpdir(), 'runtimes-'));
const write = (dir: string, value: unknown) => {
  const file = path.join(dir, 'runtimes.json');
  writeFileSync(file, JSON.stringify(value));
  return file;
};
const runtime = (more: Record<string, unknown> = {}) => ({ name: 'tools', repository: '*/tools', workingDir: '/w', path: ['/usr/bin'], ...more });

describe('the local runtimes file', () => {
  it('maps the images every environment deploys to the trainer and scorer runtimes, as their Dockerfiles run them', () => {
    const mapping = loadRuntimeMapping(DEFAULT_RUNTIMES_FILE);
    for (const name of ['local', 'staging', 'prod']) {
      const config = loadEnvironment(name);
      expect(mapping.resolve(imageUri(config, 'trainer'))).toMatchObject({ name: 'trainer', workingDir: '/home/trainer', cmd: ['train'] });
      expect(mapping.resolve(imageUri(config, 'scorer'))).toMatchObject({ name: 'scorer', workingDir: '/app/apps/scorer', cmd: ['node', 'dist/main.js'] });
    }
    const repo = path.resolve(path.dirname(DEFAULT_RUNTIMES_FILE), '..');
    expect(mapping.resolve('x/trainer:1')!.path[0]).toBe(`${repo}/.venv/bin`);
    expect(mapping.resolve('x/scorer:1')!.binds).toEqual([{ source: repo, target: '/app', readOnly: true }]);
    const dockerfile = readFileSync(path.join(repo, 'containers/scorer/Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/WORKDIR \/app\/apps\/scorer/);
    expect(dockerfile).toMatch(/CMD \["node", "dist\/main.js"\]/);
  });

  it('reads the repository out of an image URI', () => {
    expect(repositoryOf('000000000000.dkr.ecr.eu-central-1.amazonaws.com/mlp-local/trainer:0.1.0')).toBe('mlp-local/trainer');
    expect(repositoryOf('localhost:5000/team/scorer@sha256:abc')).toBe('team/scorer');
    expect(repositoryOf('scorer')).toBe('scorer');
  });

  it('names the field and the problem when the file is invalid', () => {
    const dir = temp();
    const file = write(dir, { runtimes: [runtime({ workingDir: 'relative', color: 'blue' }), runtime({ dockerfile: 'missing/Dockerfile' })] });
    expect(() => loadRuntimeMapping(file)).toThrow(LocalEnvironmentError);
    expect(() => loadRuntimeMapping(file)).toThrow(/runtimes\.0\.workingDir: must be an absolute path inside the job/);
    expect(() => loadRuntimeMapping(file)).toThrow(/runtimes\.0: Unrecognized key: "color"/);
    const second = write(temp(), { runtimes: [runtime({ dockerfile: 'missing/Dockerfile' })] });
    expect(() => loadRuntimeMapping(second)).toThrow(/runtime tools: dockerfile missing\/Dockerfile does not exist/);
  });

  it('prepares a runtime once per process, and in a later process only when its inputs changed', async () => {
    const dir = temp();
    writeFileSync(path.join(dir, 'source.txt'), 'v1');
    const builds = path.join(dir, 'builds.txt');
    const tools = loadRuntimeMapping(
      write(dir, { root: '.', runtimes: [runtime({ prepare: { command: ['sh', '-c', `cat source.txt > built.txt; echo build >> ${builds}`], inputs: ['source.txt'], requires: ['built.txt'] } })] }),
    ).runtimes[0]!;
    const stamps = path.join(dir, 'stamps');
    const log: string[] = [];
    const buildCount = () => readFileSync(builds, 'utf8').split('\n').filter(Boolean).length;

    await Promise.all([prepareRuntime(tools, stamps, (line) => log.push(line)), prepareRuntime(tools, stamps, (line) => log.push(line))]);
    expect(buildCount()).toBe(1);
    expect(log[0]).toBe(`[prepare tools] sh -c cat source.txt > built.txt; echo build >> ${builds}`);

    forgetPreparedRuntimes(); // a later process, inputs unchanged: nothing to build
    await prepareRuntime(tools, stamps, () => undefined);
    expect(buildCount()).toBe(1);

    forgetPreparedRuntimes(); // a later process after the source changed: built again
    writeFileSync(path.join(dir, 'source.txt'), 'v2');
    utimesSync(path.join(dir, 'source.txt'), new Date(), new Date(Date.now() + 5_000));
    await prepareRuntime(tools, stamps, () => undefined);
    expect(buildCount()).toBe(2);
    expect(readFileSync(path.join(dir, 'built.txt'), 'utf8')).toBe('v2');
  });

  it('explains a runtime that is not ready, with its hint', async () => {
    const notReady = loadRuntimeMapping(write(temp(), { root: '.', runtimes: [runtime({ prepare: { requires: ['.venv/bin/train'], hint: 'run the installer' } })] })).runtimes[0]!;
    await expect(prepareRuntime(notReady, temp(), () => undefined)).rejects.toThrow(/the local runtime "tools" is not ready: missing .*\.venv\/bin\/train\n  run the installer/);
  });
});
