import type { S3Client } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { InputError } from '../errors';
import { addToListing, emptyListing } from './listing';
import { InputFile, InputFileDescription, InputListing } from './types';

// Loaded when used: every pipeline thread would otherwise pay the AWS SDK's memory, also for local input.
const sdk = () => import('@aws-sdk/client-s3');

/**
 * The scorer's S3 client (model artifacts in the main thread, input in the pipeline threads): path-style addressing
 * when an endpoint (an emulator) is configured. The SDK is loaded here, when a client is first needed.
 */
export function newS3Client(aws: { region: string | undefined; endpointUrl: string | undefined }): S3Client {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { S3Client: Client } = require('@aws-sdk/client-s3') as typeof import('@aws-sdk/client-s3');
  return new Client({ region: aws.region, endpoint: aws.endpointUrl, forcePathStyle: aws.endpointUrl !== undefined });
}

export function parseS3Uri(uri: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!match) throw new InputError(uri, 'not an s3://bucket/prefix URI');
  return { bucket: match[1], prefix: match[2] };
}

/** A listed S3 object, openable again from its description (a pipeline thread receives only the description). */
export function s3InputFile(s3: S3Client, file: InputFileDescription): InputFile {
  const { bucket, prefix: key } = parseS3Uri(file.uri);
  const { size } = file;
  const get = async (range?: string) => {
    try {
      const { GetObjectCommand } = await sdk();
      const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: range }));
      return response.Body as Readable;
    } catch (error) {
      throw new InputError(file.uri, 'reading the object failed', error);
    }
  };
  return {
    ...file,
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
  };
}

/** Objects under an s3:// prefix; Parquet is read with ranged GETs so only the needed column chunks are fetched. */
export async function listS3Files(s3: S3Client, uri: string): Promise<InputListing> {
  const { bucket, prefix } = parseS3Uri(uri);
  const listing = emptyListing();
  const { ListObjectsV2Command } = await sdk();
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
      // Zero-byte keys ending in "/" are the folders of S3 consoles, not files.
      if (key.endsWith('/')) continue;
      const objectUri = `s3://${bucket}/${key}`;
      // Below the prefix, so that a prefix such as s3://bucket/_exports/ does not make every file a marker; an
      // INPUT_PATH that is the object's own key names it.
      const relativePath = key.slice(prefix.length);
      const named = relativePath === '';
      addToListing(listing, { uri: objectUri, relativePath: named ? key : relativePath, named }, (kind) => s3InputFile(s3, { uri: objectUri, ...kind, size: object.Size ?? 0 }));
    }
    token = page.NextContinuationToken;
  } while (token);
  listing.files.sort((a, b) => a.uri.localeCompare(b.uri));
  return listing;
}
