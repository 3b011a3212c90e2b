// s3://bucket/key URIs, as job arguments carry them.
import { z } from 'zod';

export interface S3Location {
  readonly bucket: string;
  readonly key: string;
}

export function parseS3Uri(uri: string): S3Location | undefined {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.\-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(uri);
  return match ? { bucket: match[1]!, key: match[2] ?? '' } : undefined;
}

export const s3Uri = (location: S3Location) => `s3://${location.bucket}/${location.key}`;

/** `prefix` + `/` + `name` without doubling or losing the slash. */
export const joinKey = (prefix: string, name: string) => (prefix === '' ? name : `${prefix.replace(/\/+$/, '')}/${name.replace(/^\/+/, '')}`);

/** An S3 URI field of a Create*Job request, checked the way the API checks it (before any job starts). */
export const s3UriField = (description = 'S3 URI') =>
  z.string().refine((uri) => parseS3Uri(uri) !== undefined, { message: `${description} must be s3://<bucket>/<key> with a valid bucket name` });
