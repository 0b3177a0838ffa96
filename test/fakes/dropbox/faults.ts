// Fault injection for the fake Dropbox: "the next N calls" or "every k-th call" of a route
// answer with a rate limit, an auth failure, a 5xx, a slow response or a broken download.

export type FakeRoute =
  | '/2/files/list_folder'
  | '/2/files/list_folder/continue'
  | '/2/files/list_folder/longpoll'
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

/**
 * An app-wide budget: Dropbox rate-limits per app as well as per user ("too_many_requests can trigger
 * on a per-app or per-user basis"), and "rate limited responses always include a Retry-After header"
 * (Dropbox performance guide). Modelled as `perSecond` requests in any sliding one-second window,
 * shared by every token (and every fake given the same instance: one app, many accounts). API calls
 * (/2/...) count; the OAuth token endpoint does not.
 */
export class FakeAppBudget {
  /** Requests refused by this budget (not by injected faults). */
  quota429s = 0;
  /** Date.now() of every API call that reached a fake sharing this budget, refused or not. */
  readonly arrivals: number[] = [];
  /** Admitted requests of the last second, oldest first. */
  private window: number[] = [];

  constructor(readonly perSecond: number) {}

  /** undefined when the request fits the budget; otherwise the whole seconds to announce in Retry-After. */
  take(now = Date.now()): number | undefined {
    this.arrivals.push(now);
    this.window = this.window.filter((t) => t > now - 1000);
    if (this.window.length < this.perSecond) {
      this.window.push(now);
      return undefined;
    }
    this.quota429s++;
    return Math.max(1, Math.ceil((this.window[0] + 1000 - now) / 1000));
  }

  /** Most arrivals in any one-second window (starting at an arrival): the rate as the provider sees it. */
  busiestSecond(): number {
    const at = [...this.arrivals].sort((a, b) => a - b);
    let most = 0;
    for (let i = 0, j = 0; i < at.length; i++) {
      while (j < at.length && at[j] < at[i] + 1000) j++;
      most = Math.max(most, j - i);
    }
    return most;
  }

  /** Arrivals per second from the first to the last one. */
  averageRate(): number {
    if (this.arrivals.length < 2) return 0;
    const span = (Math.max(...this.arrivals) - Math.min(...this.arrivals)) / 1000;
    return (this.arrivals.length - 1) / span;
  }
}
