// Helpers shared by the scripts' tests: capture a CLI's output instead of printing it.
import { CliIo } from '../../scripts/cli/main';

export interface CapturedIo extends CliIo {
  stdout: string[];
  stderr: string[];
  text: () => string;
}

export function captureIo(): CapturedIo {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout,
    stderr,
    out: (line) => stdout.push(line),
    err: (line) => stderr.push(line),
    text: () => [...stdout, ...stderr].join('\n'),
  };
}
