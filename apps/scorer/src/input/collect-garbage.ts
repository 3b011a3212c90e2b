import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | undefined;

/**
 * A full garbage collection of the calling thread's heap, now. The Parquet reader asks for one after it decodes a row
 * group (parquet.ts): a few ms at 100,000-row groups. `gc` is V8's, exposed to a
 * fresh context by the flag (which only adds that global; it changes nothing else).
 */
export function collectGarbage(): void {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}
