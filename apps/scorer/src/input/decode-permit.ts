/**
 * One Parquet row group decoded at a time in the process, whichever pipeline thread asks. hyparquet needs ~80 MB for
 * a moment to decode a 100,000-row group; pipelines decoding at once would need that many times as much, while a
 * decode takes a tenth of the time its rows take to score, so they seldom wait. The permit is an Int32 in memory shared
 * by the threads (0 free, 1 taken).
 */
export class DecodePermit {
  private readonly cell: Int32Array;

  constructor(readonly shared: SharedArrayBuffer = new SharedArrayBuffer(4)) {
    this.cell = new Int32Array(shared);
  }

  async acquire(): Promise<void> {
    for (;;) {
      if (Atomics.compareExchange(this.cell, 0, 0, 1) === 0) return;
      // Not in every TypeScript lib yet; in Node since 16. A wait does not keep the thread's event loop alive by itself,
      // hence the timer; the timeout makes a missed wake-up cost 100 ms, not a hang.
      const wait = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number, t: number): { async: boolean; value: Promise<string> | string } }).waitAsync(this.cell, 0, 1, 100);
      if (!wait.async) continue;
      const alive = setTimeout(() => undefined, 1_000);
      await wait.value;
      clearTimeout(alive);
    }
  }

  release(): void {
    Atomics.store(this.cell, 0, 0);
    Atomics.notify(this.cell, 0, 1);
  }
}
