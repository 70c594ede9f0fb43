/**
 * `redrive/testing`: deterministic time and randomness for tests of code that uses redrive. Pass a
 * `FakeClock` as `clock` and a seeded random as `random` to a queue, worker or dead-letter queue,
 * then advance the clock instead of sleeping.
 */

export { createSeededRandom, FakeClock } from '../core/clock.js';
