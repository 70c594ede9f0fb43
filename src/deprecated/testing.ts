/**
 * Names the root entry exported before `redrive/testing` existed (FakeClock and createSeededRandom).
 * They keep working from `redrive` for one minor version, deprecated. Each is declared here rather
 * than re-exported, so that its `@deprecated` tag reaches the built declarations (the declaration
 * bundler drops tags on re-export specifiers) and editors strike it through. A class stays usable with
 * `new`, `extends` and `instanceof`, and as a type.
 */

import * as testing from '../entries/testing.js';

/** @deprecated Import from `redrive/testing`. */
export const createSeededRandom = testing.createSeededRandom;
/** @deprecated Import from `redrive/testing`. */
export const FakeClock = testing.FakeClock;
/** @deprecated Import from `redrive/testing`. */
export type FakeClock = testing.FakeClock;
