import { CliSpec, OptionSpec, durationFlag, parseCli, positiveIntFlag, usageText, validateOptions } from '../../scripts/cli/args';
import { UsageError, ExitCode } from '../../scripts/cli/errors';
import { runCli } from '../../scripts/cli/main';
import { z } from 'zod';
import { captureIo } from './support';

const spec = {
  command: 'npm run demo --',
  summary: 'A demo command.',
  options: {
    env: { type: 'string', short: 'e', valueName: 'ENV', description: 'Environment.' },
    param: { type: 'string', multiple: true, valueName: 'K=V', description: 'A parameter.' },
    wait: { type: 'boolean', description: 'Wait.' },
  },
  notes: ['Exit codes: 0 ok.'],
} satisfies CliSpec<Record<string, OptionSpec>>;

describe('parsing operator CLI flags', () => {
  it('returns declared options, with repeatable ones as lists', () => {
    const parsed = parseCli(spec, ['--env', 'staging', '--param', 'A=1', '--param', 'B=2', '--wait']);
    expect(parsed).toEqual({ help: false, options: { env: 'staging', param: ['A=1', 'B=2'], wait: true } });
  });

  it('answers --help with a usage text listing every option, its description and the notes', () => {
    const parsed = parseCli(spec, ['--help']);
    expect(parsed.help).toBe(true);
    const usage = usageText(spec);
    expect(usage).toContain('Usage: npm run demo -- [options]');
    expect(usage).toMatch(/-e, --env ENV\s+Environment\./);
    expect(usage).toMatch(/--param K=V\s+A parameter\. \(repeatable\)/);
    expect(usage).toMatch(/-h, --help\s+Show this help/);
    expect(usage).toContain('Exit codes: 0 ok.');
  });

  it('rejects an unknown flag as a usage error pointing at --help', () => {
    expect(() => parseCli(spec, ['--evn', 'staging'])).toThrow(UsageError);
    expect(() => parseCli(spec, ['--evn', 'staging'])).toThrow(/--evn[\s\S]*--help/);
  });

  it('rejects stray positional arguments', () => {
    expect(() => parseCli(spec, ['staging'])).toThrow(UsageError);
  });

  it('names the flag, the value given and the expectation when validation fails', () => {
    const schema = z.object({ max: positiveIntFlag });
    expect(() => validateOptions(schema, { max: 'ten' })).toThrow('--max: expected a positive whole number (got "ten")');
    expect(() => validateOptions(schema, {})).toThrow(/--max/);
  });

  it('reads durations in seconds by default and with ms, s, m and h units', () => {
    expect(durationFlag.parse('90')).toBe(90_000);
    expect(durationFlag.parse('500ms')).toBe(500);
    expect(durationFlag.parse('15m')).toBe(900_000);
    expect(durationFlag.parse('2h')).toBe(7_200_000);
    expect(durationFlag.safeParse('soon').success).toBe(false);
  });
});

describe('running an operator CLI', () => {
  it('prints usage and exits 0 on --help without running the action', async () => {
    const io = captureIo();
    const action = jest.fn();
    await expect(runCli(spec, ['--help'], action, io)).resolves.toBe(ExitCode.ok);
    expect(action).not.toHaveBeenCalled();
    expect(io.stdout.join('\n')).toContain('A demo command.');
  });

  it('exits 2 on a usage error and prints the message on stderr', async () => {
    const io = captureIo();
    await expect(runCli(spec, ['--nope'], jest.fn(), io)).resolves.toBe(ExitCode.usage);
    expect(io.stderr.join('\n')).toContain('--nope');
  });

  it('exits 1 on an unexpected error and prints the whole cause chain', async () => {
    const io = captureIo();
    const failing = async () => {
      throw new Error('outer', { cause: new Error('inner reason') });
    };
    await expect(runCli(spec, [], failing, io)).resolves.toBe(ExitCode.failed);
    expect(io.stderr.join('\n')).toMatch(/Error: outer\n\s+caused by Error: inner reason/);
  });
});
