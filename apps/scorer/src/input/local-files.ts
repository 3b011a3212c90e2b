import { createReadStream } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { InputError } from '../errors';
import { addToListing, emptyListing } from './listing';
import { InputFile, InputFileDescription, InputListing, RangeReader } from './types';

/** Every file under `root` (recursively, sorted so shards and reruns read in the same order), classified by name. */
export async function listLocalFiles(root: string): Promise<InputListing> {
  let info;
  try {
    info = await stat(root);
  } catch (error) {
    throw new InputError(root, 'input path does not exist or is not readable', error);
  }
  const paths = info.isDirectory() ? await walk(root) : [root];
  const listing = emptyListing();
  for (const file of paths.sort()) {
    const size = (await stat(file)).size;
    const named = !info.isDirectory();
    addToListing(listing, { uri: file, relativePath: named ? path.basename(file) : path.relative(root, file), named }, (kind) =>
      localInputFile({ uri: file, ...kind, size }),
    );
  }
  return listing;
}

/** A listed local file, openable again from its description (a pipeline thread receives only the description). */
export function localInputFile(file: InputFileDescription): InputFile {
  return { ...file, openStream: async () => createReadStream(file.uri), openRanges: async () => fileRanges(file.uri, file.size) };
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(full)));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

function fileRanges(file: string, size: number): RangeReader {
  return {
    byteLength: size,
    async slice(start, end = size) {
      const handle = await open(file, 'r');
      try {
        const buffer = Buffer.alloc(Math.max(0, end - start));
        await handle.read(buffer, 0, buffer.length, start);
        return buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.length) as ArrayBuffer;
      } finally {
        await handle.close();
      }
    },
  };
}
