// An in-memory S3 for unit tests of the executor: objects by bucket and key, every upload's options recorded, and
// failures that can be injected for the next N calls of an operation (to drive retries).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ObjectStoreError, type ObjectStore, type ObjectSummary, type PutOptions } from '../../../../scripts/local/pipelines/s3/object-store';

type Operation = 'list' | 'read' | 'download' | 'upload';

export class FakeObjectStore implements ObjectStore {
  readonly objects = new Map<string, Buffer>();
  readonly uploads: Array<{ bucket: string; key: string; options: PutOptions }> = [];
  readonly calls: Array<{ operation: Operation; target: string }> = [];
  private readonly failures: Array<{ operation: Operation; error: ObjectStoreError; times: number }> = [];

  put(uri: string, body: string | Buffer): void {
    this.objects.set(uri, Buffer.isBuffer(body) ? body : Buffer.from(body));
  }

  text(uri: string): string | undefined {
    return this.objects.get(uri)?.toString('utf8');
  }

  keys(prefix = ''): string[] {
    return [...this.objects.keys()].filter((uri) => uri.startsWith(prefix)).sort();
  }

  /** The next `times` calls of `operation` fail with an error of `kind` (e.g. ServiceFault: a 500). */
  failNext(operation: Operation, kind: ObjectStoreError['kind'], times = 1): void {
    this.failures.push({ operation, error: new ObjectStoreError(kind, operation, '(injected)', `injected ${kind}`), times });
  }

  private check(operation: Operation, target: string): void {
    this.calls.push({ operation, target });
    const failure = this.failures.find((f) => f.operation === operation && f.times > 0);
    if (failure) {
      failure.times -= 1;
      throw failure.error;
    }
  }

  async *list(bucket: string, prefix: string): AsyncIterable<ObjectSummary> {
    this.check('list', `s3://${bucket}/${prefix}`);
    for (const [uri, body] of [...this.objects].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (uri.startsWith(`s3://${bucket}/${prefix}`)) yield { key: uri.slice(`s3://${bucket}/`.length), size: body.length };
    }
  }

  async read(bucket: string, key: string): Promise<Buffer> {
    this.check('read', `s3://${bucket}/${key}`);
    const body = this.objects.get(`s3://${bucket}/${key}`);
    if (!body) throw new ObjectStoreError('NotFound', 'GetObject', `s3://${bucket}/${key}`, 'NoSuchKey: The specified key does not exist.');
    return body;
  }

  async download(bucket: string, key: string, file: string): Promise<void> {
    const body = await this.read(bucket, key);
    this.calls.pop();
    this.check('download', `s3://${bucket}/${key}`);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, body);
  }

  async upload(bucket: string, key: string, file: string, options: PutOptions = {}): Promise<void> {
    this.check('upload', `s3://${bucket}/${key}`);
    this.uploads.push({ bucket, key, options });
    this.objects.set(`s3://${bucket}/${key}`, await readFile(file));
  }
}
