import { isUtf8 } from 'node:buffer';
import { PassThrough, Readable, Transform, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { InputFile } from './types';

/**
 * The file's bytes as one stream, gunzipped when the name says `.gz`, with the extra streams passed in appended.
 * Built with `pipeline`, so that an error anywhere (the object store, a corrupt gzip member, a parser) ends the
 * last stream with that error instead of leaving a reader waiting forever.
 */
export async function openBytes(file: InputFile, ...then: NodeJS.ReadWriteStream[]): Promise<Readable> {
  const source = (await file.openStream()) as Readable;
  const stages: NodeJS.ReadWriteStream[] = [];
  if (file.gzip) stages.push(gunzip());
  stages.push(...then);
  if (stages.length === 0) stages.push(new PassThrough());
  const streams = [source, ...stages] as unknown as [Readable, ...NodeJS.ReadWriteStream[]];
  // The callback only keeps pipeline from throwing; the error reaches the reader through the last stream.
  return pipeline(...(streams as [Readable, NodeJS.ReadWriteStream]), () => undefined) as unknown as Readable;
}

/** zlib's own errors ("incorrect header check", codes Z_*) do not say that the problem is the file's compression. */
function gunzip(): Transform {
  const stream = createGunzip();
  // Registered before pipeline's listener, so the message is amended before the error travels on.
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code?.startsWith('Z_') && !error.message.startsWith('not a valid gzip')) error.message = `not a valid gzip file (${error.message})`;
  });
  return stream;
}

/**
 * Checks that a byte stream is valid UTF-8, chunk by chunk (a character split across two chunks is carried over).
 * Cheap enough for every byte of every file: `isUtf8` is native, and decoding itself is left to the parser.
 */
export class Utf8Check {
  private carry: Buffer | undefined;
  /** False from the first chunk holding bytes that are not UTF-8 (or a character cut off by the end of the file). */
  valid = true;

  update(chunk: Buffer): void {
    if (!this.valid) return;
    const data = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    const complete = completeLength(data);
    this.carry = complete < data.length ? Buffer.from(data.subarray(complete)) : undefined;
    if (!isUtf8(data.subarray(0, complete))) this.valid = false;
  }

  end(): void {
    if (this.carry) this.valid = false;
  }

  /** A pass-through stream that runs the check on what flows through it. */
  stream(): Transform {
    return new Transform({
      transform: (chunk: Buffer, _encoding, done) => {
        this.update(chunk);
        done(null, chunk);
      },
      flush: (done) => {
        this.end();
        done();
      },
    });
  }
}

/** How many leading bytes of `data` end on a character boundary (the rest may be the start of a split character). */
function completeLength(data: Buffer): number {
  let i = data.length - 1;
  let continuation = 0;
  while (i >= 0 && continuation < 3 && (data[i] & 0xc0) === 0x80) {
    i--;
    continuation++;
  }
  if (i < 0) return data.length;
  const lead = data[i];
  const length = lead < 0x80 ? 1 : (lead & 0xe0) === 0xc0 ? 2 : (lead & 0xf0) === 0xe0 ? 3 : (lead & 0xf8) === 0xf0 ? 4 : 1;
  return i + length > data.length ? i : data.length;
}

/** Where the first byte sequence that is not UTF-8 starts, and the bytes from there in hex, for a rejection reason. */
export function invalidUtf8Preview(bytes: Uint8Array): string {
  const at = firstInvalidUtf8(bytes);
  const shown = Array.from(bytes.subarray(at, at + 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
  return `byte ${at + 1}: ${shown}`;
}

/** Offset of the first invalid sequence (bytes.length when there is none). Only used on the error path. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    const length = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (length === 0 || i + length > bytes.length) return i;
    if (length > 1 && !isUtf8(bytes.subarray(i, i + length))) return i;
    i += length;
  }
  return i;
}

/** A decoded string that came from bytes which were not UTF-8 carries U+FFFD where they were. */
export const REPLACEMENT_CHARACTER = '\uFFFD';
