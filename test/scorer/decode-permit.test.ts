import { Worker } from 'node:worker_threads';
import { DecodePermit } from '../../apps/scorer/src/input/decode-permit';

describe('the row-group decode permit', () => {
  it('lets one holder at a time through, the next when it is released', async () => {
    const permit = new DecodePermit();
    const order: string[] = [];
    await permit.acquire();
    const second = permit.acquire().then(() => order.push('second got it'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    order.push('first releases');
    permit.release();
    await second;
    expect(order).toEqual(['first releases', 'second got it']);
    permit.release();
  });

  it('is one permit for every thread that shares its memory', async () => {
    const permit = new DecodePermit();
    await permit.acquire();
    // A thread of its own waits on the same cell, and gets the permit only once this thread releases it.
    const worker = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       const { DecodePermit } = require(${JSON.stringify(require.resolve('tsx/cjs/api'))}).require(${JSON.stringify(require.resolve('../../apps/scorer/src/input/decode-permit'))}, __filename);
       new DecodePermit(workerData).acquire().then(() => parentPort.postMessage(Date.now()));`,
      { eval: true, workerData: permit.shared },
    );
    const got = new Promise<number>((resolve) => worker.once('message', resolve));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const releasedAt = Date.now();
    permit.release();
    expect(await got).toBeGreaterThanOrEqual(releasedAt);
    await worker.terminate();
  });
});
