/**
 * The benchmark payload: a plausible job body of about 100 bytes of JSON (95-102 depending on
 * the sequence number's digits).
 */

export interface BenchPayload {
  seq: number;
  user: string;
  action: string;
  at: number;
  pad: string;
}

const PAD = 'x'.repeat(10);
const EPOCH = 1_700_000_000_000;

export function makePayload(seq: number): BenchPayload {
  return { seq, user: `user-${seq % 10_000}`, action: 'send-welcome-email', at: EPOCH + seq, pad: PAD };
}

/** Entries for one `addBulk` call: `count` jobs numbered from `firstSeq`. */
export function makeBulk(firstSeq: number, count: number): { name: string; payload: BenchPayload }[] {
  const jobs = new Array<{ name: string; payload: BenchPayload }>(count);
  for (let i = 0; i < count; i++) jobs[i] = { name: 'email', payload: makePayload(firstSeq + i) };
  return jobs;
}
