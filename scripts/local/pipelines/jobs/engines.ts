// How a job's process is started: in a private mount namespace with a local runtime (the default), or — where a
// container engine is installed — as the real image with `docker run` / `podman run` (kept small; see the docs).
import { spawn, type ChildProcess } from 'node:child_process';
import type { LocalRuntime } from './runtimes';
import { SANDBOX_ENV, sandboxScript, unshareArgs, type NamespaceSupport } from './sandbox';

/** The container command as SageMaker builds it: `docker run [--entrypoint E] image [ARGS]`. */
export interface ContainerCommand {
  /** ContainerEntrypoint: replaces the image's ENTRYPOINT and drops its CMD. */
  readonly entrypoint?: readonly string[];
  /** Arguments after the image (ContainerArguments, or "train" for a training job); empty → the image's CMD. */
  readonly args: readonly string[];
}

/** The argv Docker would run for an image with this ENTRYPOINT and CMD. */
export function containerArgv(image: { entrypoint: readonly string[]; cmd: readonly string[] }, command: ContainerCommand): string[] {
  if (command.entrypoint && command.entrypoint.length > 0) return [...command.entrypoint, ...command.args];
  return [...image.entrypoint, ...(command.args.length > 0 ? command.args : image.cmd)];
}

export interface InstanceLaunch {
  readonly name: string;
  readonly imageUri: string;
  readonly command: ContainerCommand;
  readonly env: Readonly<Record<string, string>>;
  /** Host folders bound at /opt/ml and /tmp. */
  readonly optMl: string;
  readonly tmp: string;
  /** Empty folder the namespace engine builds the job's root on. */
  readonly rootDir: string;
}

export interface JobEngine {
  readonly description: string;
  launch(instance: InstanceLaunch): ChildProcess;
  /** Extra clean-up after a forced kill (the container engine's container). */
  kill?(instance: InstanceLaunch): void;
}

/** The folders a job gets of its own; host paths below them are hidden from the job. */
const JOB_OWN_FOLDERS = ['/opt/ml', '/tmp'];

/**
 * The runtime's files (e.g. a checkout under /tmp, with its .venv) stay visible where the job's own /tmp would hide
 * them: bound back, read-only, at the same path inside the job's /tmp.
 */
export function visibleRoot(root: string): { source: string; target: string; readOnly: boolean }[] {
  return JOB_OWN_FOLDERS.some((folder) => root.startsWith(`${folder}/`)) ? [{ source: root, target: root, readOnly: true }] : [];
}

export function namespaceEngine(support: NamespaceSupport, runtimeOf: (imageUri: string) => LocalRuntime): JobEngine {
  return {
    description: `private mount namespace (${support.mode === 'root' ? 'unshare -m' : 'unshare -Urm'})`,
    launch(instance) {
      const runtime = runtimeOf(instance.imageUri);
      const script = sandboxScript({
        rootDir: instance.rootDir,
        mounts: [
          { source: instance.optMl, target: '/opt/ml', readOnly: false },
          { source: instance.tmp, target: '/tmp', readOnly: false },
          ...visibleRoot(runtime.root),
          ...runtime.binds,
        ],
        workingDir: runtime.workingDir,
        ensureDirs: [runtime.home],
        env: instance.env,
        argv: containerArgv(runtime, instance.command),
      });
      return spawn(support.unshare, unshareArgs(support.mode, script), { env: SANDBOX_ENV, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    },
  };
}

/** `docker run` / `podman run` of the real image (untested here: this machine has no container engine). */
export function containerEngine(engine: 'docker' | 'podman'): JobEngine {
  return {
    description: `${engine} run`,
    launch(instance) {
      const [entry, ...entryRest] = instance.command.entrypoint ?? [];
      const args = [
        'run', '--rm', '--name', instance.name,
        '-v', `${instance.optMl}:/opt/ml`, '-v', `${instance.tmp}:/tmp`,
        '--network', 'host',
        ...Object.entries(instance.env).flatMap(([key, value]) => ['-e', `${key}=${value}`]),
        ...(entry ? ['--entrypoint', entry] : []),
        instance.imageUri,
        ...entryRest,
        ...instance.command.args,
      ];
      return spawn(engine, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
    },
    kill(instance) {
      spawn(engine, ['kill', instance.name], { stdio: 'ignore' }).on('error', () => undefined);
    },
  };
}
