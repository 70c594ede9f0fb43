/** Errors of the StreamProcessor. */

import { RedriveError } from '../core/errors.js';

/**
 * Another consumer reclaimed a message this consumer was still working on (its claim could not be
 * renewed in time: the event loop was blocked, or Redis was unreachable). The handler's signal is
 * aborted with this reason; its result is discarded and the message is not acked here (409).
 */
export class ClaimLostError extends RedriveError {
  constructor(id: string) {
    super('CLAIM_LOST', 409, `the claim on stream message ${id} was lost to another consumer`, {
      details: { id },
    });
  }
}

/** The processor is stopping: a handler still running at the deadline is aborted with this (503). */
export class ProcessorStoppingError extends RedriveError {
  constructor() {
    super('PROCESSOR_STOPPING', 503, 'the stream processor is stopping');
  }
}
