// `npm run services -- status`: the installs and every run folder, with what is alive, stale or kept.
import fs from 'node:fs';
import path from 'node:path';
import { renderExportLine } from './env';
import { defaultVenvDir, kafkaLibsDir } from './paths';
import { isAlive } from './processes';
import { listRuns, type RunInfo } from './run-registry';

function installState(dir: string): string {
  if (fs.existsSync(path.join(dir, '.install-stamp'))) return 'installed';
  return fs.existsSync(dir) ? 'present, not stamped (next install re-checks)' : "missing (npm run services -- install)";
}

function describeRun(run: RunInfo): string[] {
  const pids = Object.entries(run.pids).map(([name, pid]) => `${name}=${pid}${isAlive(pid) ? '' : '(dead)'}`).join(' ') || 'no processes';
  let state: string;
  if (!run.record) state = 'no run record';
  else if (run.record.stoppedAt !== undefined) state = `stopped ${run.record.stoppedAt}; data and logs kept (remove the folder when done)`;
  else if (run.ownerAlive) state = `owner pid ${run.record.ownerPid} alive`;
  else state = `owner pid ${run.record.ownerPid} gone: stale, \`npm run services -- stop\` cleans it up`;
  const lines = [`  ${run.id}: ${state}; ${pids}; ${run.dir}`];
  if (run.record?.env && run.record.stoppedAt === undefined) lines.push(`    ${renderExportLine(run.record.env)}`);
  return lines;
}

export function renderStatus(baseDir: string, venvDir: string = defaultVenvDir): string {
  const libs = kafkaLibsDir(baseDir);
  const lines = ['installs:', `  kafka jars  ${installState(libs)} (${libs})`, `  python venv ${installState(venvDir)} (${venvDir})`];
  const runs = listRuns(baseDir);
  lines.push(runs.length === 0 ? 'runs: none' : 'runs:');
  for (const run of runs) lines.push(...describeRun(run));
  return lines.join('\n');
}
