// Before a stack is destroyed in the emulator: stop server access logging and empty the stack's buckets. The
// stack never force-destroys a bucket (data and access logs are not deleted by a `terraform destroy` in AWS), and
// the emulator writes an access log object for every request to a logged bucket at once, including terraform's own
// reads during the destroy, so the log bucket would never be empty when its turn comes. The emulator's contents
// are disposable; in a real account this decision stays with the operator.
import { DeleteObjectsCommand, ListObjectVersionsCommand, PutBucketLoggingCommand, S3Client } from '@aws-sdk/client-s3';
import fs from 'node:fs';
import type { Emulator } from './deploy';

type StackJson = { provider?: { aws?: Array<{ region?: string }> }; resource?: { aws_s3_bucket?: Record<string, { bucket?: string }> } };

/** Bucket names the stack declares, and its region. */
export function stackBuckets(stackFile: string): { region: string; buckets: string[] } {
  const stack = JSON.parse(fs.readFileSync(stackFile, 'utf8')) as StackJson;
  const buckets = Object.values(stack.resource?.aws_s3_bucket ?? {}).flatMap((bucket) => (bucket.bucket ? [bucket.bucket] : []));
  return { region: stack.provider?.aws?.[0]?.region ?? 'us-east-1', buckets };
}

export async function emptyStackBuckets(stackFile: string, emulator: Emulator, log: (line: string) => void): Promise<void> {
  const { region, buckets } = stackBuckets(stackFile);
  const s3 = new S3Client({ region, endpoint: emulator.endpointUrl, credentials: emulator.credentials, forcePathStyle: true });
  const missing = (error: unknown) => (error as { name?: string }).name === 'NoSuchBucket';
  try {
    const ignoreMissing = (e: unknown) => (missing(e) ? undefined : Promise.reject(e));
    // Logging off first: from here on no request adds objects to the log bucket.
    for (const bucket of buckets) await s3.send(new PutBucketLoggingCommand({ Bucket: bucket, BucketLoggingStatus: {} })).catch(ignoreMissing);
    for (const bucket of buckets) {
      let deleted = 0;
      for (;;) {
        const listed = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket })).catch(ignoreMissing);
        const objects = [...(listed?.Versions ?? []), ...(listed?.DeleteMarkers ?? [])].map(({ Key, VersionId }) => ({ Key, VersionId }));
        if (objects.length === 0) break;
        const result = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } }));
        // Quiet mode reports only failures, in the response: never loop on objects that cannot be deleted.
        const failed = result.Errors ?? [];
        if (failed.length > 0) {
          throw new Error(`could not empty s3://${bucket} in the emulator: ${failed.slice(0, 3).map((e) => `${e.Key}: ${e.Code} ${e.Message}`).join('; ')}`);
        }
        deleted += objects.length;
      }
      if (deleted > 0) log(`emptied s3://${bucket} in the emulator (${deleted} object versions) before destroying`);
    }
  } finally {
    s3.destroy();
  }
}
