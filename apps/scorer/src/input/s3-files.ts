import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { InputError } from '../errors';
import { InputFile, formatOf } from './types';

export function parseS3Uri(uri: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!match) throw new InputError(uri, 'not an s3://bucket/prefix URI');
  return { bucket: match[1], prefix: match[2] };
}

/** Objects under an s3:// prefix; Parquet is read with ranged GETs so only the needed column chunks are fetched. */
export async function listS3Files(s3: S3Client, uri: string): Promise<{ files: InputFile[]; ignored: string[] }> {
  const { bucket, prefix } = parseS3Uri(uri);
  const files: InputFile[] = [];
  const ignored: string[] = [];
  let token: string | undefined;
  do {
    let page;
    try {
      page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    } catch (error) {
      throw new InputError(uri, 'listing the S3 prefix failed', error);
    }
    for (const object of page.Contents ?? []) {
      const key = object.Key!;
      const objectUri = `s3://${bucket}/${key}`;
      const format = formatOf(key);
      if (!format) {
        ignored.push(objectUri);
        continue;
      }
      const size = object.Size ?? 0;
      const get = async (range?: string) => {
        try {
          const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: range }));
          return response.Body as Readable;
        } catch (error) {
          throw new InputError(objectUri, 'reading the object failed', error);
        }
      };
      files.push({
        uri: objectUri,
        format,
        size,
        openStream: () => get(),
        openRanges: async () => ({
          byteLength: size,
          async slice(start: number, end = size) {
            if (end <= start) return new ArrayBuffer(0);
            const body = await get(`bytes=${start}-${end - 1}`);
            const chunks: Buffer[] = [];
            for await (const chunk of body) chunks.push(chunk as Buffer);
            const buffer = Buffer.concat(chunks);
            return buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.length) as ArrayBuffer;
          },
        }),
      });
    }
    token = page.NextContinuationToken;
  } while (token);
  files.sort((a, b) => a.uri.localeCompare(b.uri));
  return { files, ignored };
}
