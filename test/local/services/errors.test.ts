import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formatLogTail, LocalServicesError, missingToolError } from '../../../scripts/local/services/errors';
import { requirementsHash } from '../../../scripts/local/services/install';
import { parseServiceNames } from '../../../scripts/local/services';
import { readLogTail } from '../../../scripts/local/services/processes';

describe('error messages of the local services', () => {
  it('names a missing tool, what needs it and how to install it', () => {
    const err = missingToolError('mvn', 'resolving the Kafka jars', 'Install Apache Maven.');
    expect(err).toBeInstanceOf(LocalServicesError);
    expect(err.code).toBe('MISSING_TOOL');
    expect(err.retryable).toBe(false);
    expect(err.message).toBe("'mvn' was not found on PATH; it is needed for resolving the Kafka jars. Install Apache Maven.");
  });

  it('rejects unknown service names and lists the valid ones', () => {
    expect(() => parseServiceNames(['kafka', 'postgres'])).toThrow("unknown service(s) 'postgres'; choose from kafka, mlflow, aws");
  });

  it('keeps the canonical order of service names whatever order they were given in', () => {
    expect(parseServiceNames(['aws', 'kafka'])).toEqual(['kafka', 'aws']);
  });

  it('shows the last lines of a log, indented under its name', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ls-errors-'));
    const log = path.join(dir, 'kafka.log');
    fs.writeFileSync(log, Array.from({ length: 40 }, (_, i) => `line ${i + 1}`).join('\n') + '\n');
    const tail = formatLogTail('kafka.log', readLogTail(log, 3));
    expect(tail).toBe('\n  last lines of kafka.log:\n    line 38\n    line 39\n    line 40');
    fs.rmSync(dir, { recursive: true });
  });

  it('says so when a log is missing instead of failing while reporting a failure', () => {
    expect(readLogTail('/nonexistent/x.log')).toBe('(no log at /nonexistent/x.log)');
  });
});

describe('install stamps', () => {
  it('change when a requirements file pulled in with -r changes', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ls-req-'));
    fs.writeFileSync(path.join(dir, 'base.txt'), 'mlflow==1.0\n');
    fs.writeFileSync(path.join(dir, 'dev.txt'), '-r base.txt\npytest==1.0\n');
    const before = requirementsHash(path.join(dir, 'dev.txt'));
    expect(requirementsHash(path.join(dir, 'dev.txt'))).toBe(before);
    fs.writeFileSync(path.join(dir, 'base.txt'), 'mlflow==2.0\n');
    expect(requirementsHash(path.join(dir, 'dev.txt'))).not.toBe(before);
    fs.rmSync(dir, { recursive: true });
  });

  it('are the same for a copy of the files elsewhere (a copy of the tree that shares the .venv must not reinstall it)', () => {
    const write = (dir: string) => {
      fs.writeFileSync(path.join(dir, 'base.txt'), 'mlflow==1.0\n');
      fs.writeFileSync(path.join(dir, 'dev.txt'), '-r base.txt\n-e ./app\n');
      return requirementsHash(path.join(dir, 'dev.txt'));
    };
    const [a, b] = [fs.mkdtempSync(path.join(os.tmpdir(), 'ls-req-a-')), fs.mkdtempSync(path.join(os.tmpdir(), 'ls-req-b-'))];
    expect(write(a)).toBe(write(b));
    fs.writeFileSync(path.join(b, 'base.txt'), 'mlflow==2.0\n');
    expect(requirementsHash(path.join(b, 'dev.txt'))).not.toBe(requirementsHash(path.join(a, 'dev.txt')));
    for (const dir of [a, b]) fs.rmSync(dir, { recursive: true });
  });
});
