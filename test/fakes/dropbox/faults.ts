// Fault injection for the fake Dropbox: "the next N calls" or "every k-th call" of a route
// answer with a rate limit, an auth failure, a 5xx, a slow response or a broken download.

export type FakeRoute =
  | '/2/files/list_folder'
  | '/2/files/list_folder/continue'
  | '/2/files/download'
  | '/2/files/export'
  | '/2/users/get_current_account'
  | '/oauth2/token';

export type Fault =
  /** 429 (or 503) with Retry-After header and/or `error.retry_after` in the body. */
  | { kind: 'rate-limit'; retryAfterSeconds?: number; header?: boolean; body?: boolean; status?: 429 | 503 }
  | { kind: 'expired-token' }
  | { kind: 'invalid-token' }
  /** Plain-text 5xx. */
  | { kind: 'server-error'; status?: number; text?: string }
  /** Delay before answering normally. */
  | { kind: 'slow'; delayMs: number }
  /** Download only: declare the full Content-Length, send `sendBytes`, destroy the socket. */
  | { kind: 'truncate'; sendBytes?: number }
  /** Download only: send `sendBytes` then go silent (until the client gives up or stop()). */
  | { kind: 'stall'; sendBytes?: number };

export interface FaultSchedule {
  /** Fire on this many matching calls (default 1, or unlimited when `every` is set). */
  times?: number;
  /** Fire on every k-th call of the route (by the route's request count). */
  every?: number;
}

interface Armed {
  route: FakeRoute;
  fault: Fault;
  remaining: number;
  every?: number;
}

const BODY_FAULTS = new Set<Fault['kind']>(['truncate', 'stall']);

export class FaultBook {
  private armed: Armed[] = [];

  add(route: FakeRoute, fault: Fault, schedule: FaultSchedule = {}): void {
    const remaining = schedule.times ?? (schedule.every ? Number.POSITIVE_INFINITY : 1);
    this.armed.push({ route, fault, remaining, every: schedule.every });
  }

  clear(): void {
    this.armed = [];
  }

  /** The fault to apply before normal handling (anything but body faults), consuming one shot. */
  takeRequestFault(route: string, callNumber: number): Fault | undefined {
    return this.take(route, callNumber, (f) => !BODY_FAULTS.has(f.kind));
  }

  /** A body fault for a successful download/export, consuming one shot. */
  takeBodyFault(route: string, callNumber: number): Fault | undefined {
    return this.take(route, callNumber, (f) => BODY_FAULTS.has(f.kind));
  }

  private take(route: string, callNumber: number, kinds: (f: Fault) => boolean): Fault | undefined {
    const hit = this.armed.find((a) => a.route === route && a.remaining > 0 && kinds(a.fault) && (!a.every || callNumber % a.every === 0));
    if (!hit) return undefined;
    hit.remaining--;
    return hit.fault;
  }
}
