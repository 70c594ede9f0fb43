/**
 * Fills a queue with `total` waiting jobs through `addBulk` (untimed set-up). Yields to the event
 * loop between calls so the RSS sampler keeps sampling.
 */
import type { Queue } from '../../src/index.js';
import { type BenchPayload, makeBulk } from '../payload.js';
import { yieldToLoop } from '../wait.js';

export async function prefill(queue: Queue<BenchPayload>, total: number, chunk = 1_000): Promise<void> {
  for (let seq = 0; seq < total; seq += chunk) {
    await queue.addBulk(makeBulk(seq, Math.min(chunk, total - seq)));
    await yieldToLoop();
  }
}
