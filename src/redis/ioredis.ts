/**
 * ioredis's client classes, imported through this module so that loading ioredis does not leave
 * every string method call of the process on V8's slow property-load path.
 *
 * ioredis declares `class VerbatimString extends String` (its RESP3 reply type). Giving an object
 * a new inheritor puts it in V8's dictionary mode until an object is looked up through it, and
 * only strings are: a string receiver never turns it back. Optimized code cannot fold a method
 * lookup on a dictionary-mode prototype, so each `text.charCodeAt(i)` or `text.slice(a, b)` in hot
 * code (message parameterization, on every dead letter) became a generic property load.
 * Enumerating an object that inherits from `String.prototype` turns it back to fast properties.
 */

import { Cluster, Redis } from 'ioredis';

for (const _ in Object.create(String.prototype)) {
  // Nothing to do: the enumeration itself restores the prototype's fast properties.
}

export { Cluster, Redis };
