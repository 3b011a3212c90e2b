import { InputFile, InputListing, classifyInput } from './types';

/**
 * Sorts a listed object into the listing by its path below the input root: a data file (built by `open` with its
 * format), a skipped marker, or an unsupported file. Local and S3 listings share it so both treat names the same way.
 */
export function addToListing(
  listing: InputListing,
  file: { uri: string; relativePath: string; named?: boolean },
  open: (kind: Pick<InputFile, 'format' | 'gzip'>) => InputFile,
): void {
  const { uri } = file;
  const kind = classifyInput(file.relativePath, { named: file.named });
  switch (kind.kind) {
    case 'skip':
      listing.skipped.push(uri);
      return;
    case 'unsupported':
      listing.unsupported.push({ uri, reason: kind.reason });
      return;
    case 'data':
      listing.files.push(open({ format: kind.format, gzip: kind.gzip }));
  }
}

export const emptyListing = (): InputListing => ({ files: [], skipped: [], unsupported: [] });
