// Last-chance cleanup while services run: on Ctrl-C / SIGTERM / SIGHUP we stop them and then let the signal
// take its usual course; on process exit (where only synchronous code runs) we SIGKILL their process groups.
// If even that cannot run (SIGKILL of our process), the per-run watchdog in processes.ts stops them.

export interface Cleanable {
  stop(): Promise<void>;
  killNow(): void;
}

const live = new Set<Cleanable>();
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
let installed = false;
let stopping = false;

function onExit(): void {
  for (const c of live) c.killNow();
}

function onSignal(signal: NodeJS.Signals): void {
  if (stopping) {
    // A second Ctrl-C while stopping: the user does not want to wait for graceful shutdowns.
    process.stderr.write(`\n[services] ${signal} again: killing local services now\n`);
    onExit();
    process.exit(130);
  }
  stopping = true;
  // Counted now, while every listener of this signal is still registered (`once` listeners remove themselves).
  const othersListen = process.listenerCount(signal) > 1;
  process.stderr.write(`\n[services] ${signal}: stopping local services…\n`);
  void Promise.allSettled([...live].map((c) => c.stop())).then(() => {
    stopping = false;
    uninstall();
    // Someone else (e.g. the CLI or jest) also handles this signal: they decide how to exit. Otherwise restore the
    // default behaviour by raising the signal again without our handler.
    if (!othersListen) process.kill(process.pid, signal);
  });
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', onExit);
  for (const s of SIGNALS) process.on(s, onSignal);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.off('exit', onExit);
  for (const s of SIGNALS) process.off(s, onSignal);
}

export function register(c: Cleanable): void {
  live.add(c);
  install();
}

export function unregister(c: Cleanable): void {
  live.delete(c);
  if (live.size === 0 && !stopping) uninstall();
}

