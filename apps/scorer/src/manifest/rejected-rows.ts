import { createWriteStream, WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { once } from 'node:events';
import * as path from 'node:path';
import type { DeadLetterMessage } from '../contract/message';
import { REJECTED_ROWS_FILE } from './manifest';

/** The run's rejected rows as JSON lines (same shape as the dead-letter messages), streamed with backpressure. */
export class RejectedRowsFile {
  private closed = false;

  private constructor(
    private readonly stream: WriteStream,
    readonly path: string,
  ) {}

  static async open(outputDir: string): Promise<RejectedRowsFile> {
    await mkdir(outputDir, { recursive: true });
    const file = path.join(outputDir, REJECTED_ROWS_FILE);
    const stream = createWriteStream(file, { flags: 'w' });
    await once(stream, 'open');
    return new RejectedRowsFile(stream, file);
  }

  async write(rows: DeadLetterMessage[]): Promise<void> {
    if (rows.length === 0) return;
    // A stopped run closes the file while the batch in hand may still try to write (a stream written after its end throws).
    if (this.closed) throw new Error(`${this.path} is closed: the run has ended`);
    if (!this.stream.write(rows.map((r) => JSON.stringify(r)).join('\n') + '\n')) await once(this.stream, 'drain');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await new Promise<void>((resolve, reject) => this.stream.end((error?: Error | null) => (error ? reject(error) : resolve())));
  }
}
