// Timeouts and retry policies of every activity the workflows call. One base retry policy; each
// activity changes only what differs (attempts, or the batch's shorter backoff ceiling).
import type { ActivityOptions, RetryPolicy } from '@temporalio/workflow';
import { NON_RETRYABLE_ERROR_TYPES } from '../core/errors.js';

/** Transient failures back off 1 s, 2 s, 4 s ... up to a minute; typed connector errors are never retried here. */
const BASE_RETRY: RetryPolicy = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '1 minute',
  nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_TYPES],
};

/** Heartbeats come every 5 s from withHeartbeats: 30 s without one means the worker is gone. */
const HEARTBEAT_TIMEOUT = '30 seconds';

/** Listing pages and small bookkeeping calls (recordDocFailure). */
export const METADATA_ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  retry: { ...BASE_RETRY, maximumAttempts: 8 },
};

/** One document's download + extraction (retrieveDoc narrows maximumAttempts per child). */
export const DATA_ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '60 minutes',
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  retry: { ...BASE_RETRY, maximumAttempts: 5 },
};

/** A batch of small documents: few attempts, since its leftovers go to children that retry each. */
export const BATCH_ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  retry: { ...BASE_RETRY, maximumInterval: '10 seconds', maximumAttempts: 2 },
};
