// Shared app quotas: a per-connector budget (requests, or quota units for Gmail, per second) that
// every worker of the deployment honours together. The budget is one GCRA timeline per connector in
// a shared store (Postgres: store/app-quotas.ts); a process reserves a block of that timeline in one
// round trip, sized by the calls waiting in it, and spaces its own calls inside the block. A call
// whose slot would be more than `maxWaitMs` away fails with RateLimitError(retryAt) instead, so the
// workflow waits durably rather than an activity sleeping for minutes.
import { z } from 'zod';
import type { CallGate } from '../../core/contract.js';
import { RateLimitError, TransientError } from '../../core/errors.js';

/** Gmail's documented quota units per method; everything not listed costs 1 (Drive and Dropbox count requests). */
const DEFAULT_UNIT_COSTS: Record<string, Record<string, number>> = {
  gmail: { 'users.messages.get': 5, 'users.messages.list': 5, 'users.history.list': 2, 'users.getProfile': 1 },
};

const appQuotaSchema = z
  .object({
    /** Requests (or units, with `costs`) per second for the whole app, across users and workers. */
    perSecond: z.number().positive(),
    /** Units per operation name (the names connectors pass to the gate), on top of DEFAULT_UNIT_COSTS. */
    costs: z.record(z.string(), z.number().positive()).optional(),
    /** Longest in-process wait for a slot; beyond it the call is refused with RateLimitError (default 10 s). */
    maxWaitMs: z.number().int().positive().optional(),
    /** Most of the timeline one reservation takes (default 250 ms): bigger blocks, fewer round trips. */
    blockMs: z.number().positive().optional(),
  })
  .strict();

/** DOCSYNC_APP_QUOTAS: connector name → budget. A connector not listed has no app budget. */
export const appQuotasSchema = z.record(z.string().min(1), appQuotaSchema);
export type AppQuotaSettings = z.infer<typeof appQuotaSchema>;
export type AppQuotasSettings = z.infer<typeof appQuotasSchema>;

export type Reservation = { startsInMs: number } | { refusedForMs: number };

/** Where the timelines live; times are relative to the store's own clock ("ms from its now"). */
export interface AppQuotaStore {
  reserve(connector: string, blockMs: number, maxWaitMs: number): Promise<Reservation>;
}

/**
 * The GCRA step both stores implement (Postgres in SQL): a block starts at max(tat, now); granted
 * only when that start is within maxWait, and then tat moves to the block's end.
 */
export function reserveOnTimeline(tat: number, now: number, blockMs: number, maxWaitMs: number): { tat: number; reservation: Reservation } {
  const start = Math.max(tat, now);
  if (start - now > maxWaitMs) return { tat, reservation: { refusedForMs: start - now } };
  return { tat: start + blockMs, reservation: { startsInMs: start - now } };
}

/** One process's timelines (unit tests, single-process tools): the same arithmetic as the SQL. */
export class MemoryQuotaStore implements AppQuotaStore {
  private readonly tats = new Map<string, number>();
  constructor(private readonly now: () => number = Date.now) {}
  async reserve(connector: string, blockMs: number, maxWaitMs: number): Promise<Reservation> {
    const step = reserveOnTimeline(this.tats.get(connector) ?? 0, this.now(), blockMs, maxWaitMs);
    this.tats.set(connector, step.tat);
    return step.reservation;
  }
}

interface Waiter {
  needMs: number;
  resolve(sendAt: number): void;
  reject(err: unknown): void;
}

const EPSILON_MS = 1e-6;

/** One connector's budget in this process: hands out the slots of the blocks it reserved, in order. */
export class AppQuota {
  readonly msPerUnit: number;
  private readonly maxWaitMs: number;
  private readonly blockMs: number;
  private readonly costs: Record<string, number>;
  private readonly lateToleranceMs: number;
  /** The reserved timeline not handed out yet, in local epoch ms: [cursor, end). */
  private cursor = 0;
  private end = 0;
  private readonly queue: Waiter[] = [];
  private reserving = false;
  /** Round trip of the last reservation: that much of the next block may be unusable (see reserve). */
  private lastRoundTripMs = 0;

  constructor(
    readonly connector: string,
    settings: AppQuotaSettings,
    private readonly store: AppQuotaStore,
    private readonly now: () => number = Date.now,
  ) {
    this.msPerUnit = 1000 / settings.perSecond;
    this.maxWaitMs = settings.maxWaitMs ?? 10_000;
    this.blockMs = settings.blockMs ?? 250;
    this.costs = { ...DEFAULT_UNIT_COSTS[connector], ...settings.costs };
    this.lateToleranceMs = Math.max(50, 2 * this.msPerUnit);
  }

  costOf(operation: string): number {
    return this.costs[operation] ?? 1;
  }

  /** The local time at which a call of `operation` may be sent (may be now); RateLimitError when too far. */
  slot(operation: string, signal?: AbortSignal): Promise<number> {
    signal?.throwIfAborted();
    return new Promise<number>((resolve, reject) => {
      const waiter: Waiter = { needMs: this.costOf(operation) * this.msPerUnit, resolve, reject };
      const onAbort = () => {
        const i = this.queue.indexOf(waiter);
        if (i >= 0) this.queue.splice(i, 1);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      waiter.resolve = (at) => (signal?.removeEventListener('abort', onAbort), resolve(at));
      waiter.reject = (err) => (signal?.removeEventListener('abort', onAbort), reject(err));
      this.queue.push(waiter);
      this.pump();
    });
  }

  /** Waits in process for the call's slot (honouring the activity's AbortSignal). */
  async acquire(operation: string, signal?: AbortSignal): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const sendAt = await this.slot(operation, signal);
      const delay = sendAt - this.now();
      if (delay > 0) await abortableSleep(delay, signal);
      // A timer that fired late (busy event loop) would send with every other late one at once:
      // a slot missed by more than the tolerance is given up and a fresh one taken (a few times at most).
      if (this.now() - sendAt <= this.lateToleranceMs || attempt >= 2) return;
    }
  }

  private pump(): void {
    while (this.queue.length > 0) {
      const head = this.queue[0];
      // Slots already in the past are dropped, not spent in a burst: the budget is a rate.
      const start = Math.max(this.cursor, this.now());
      if (start + head.needMs > this.end + EPSILON_MS) break;
      this.cursor = start + head.needMs;
      this.queue.shift();
      head.resolve(start);
    }
    if (this.queue.length > 0 && !this.reserving) void this.reserve();
  }

  /** One round trip for every call waiting now: the block covers their demand, up to blockMs. */
  private async reserve(): Promise<void> {
    this.reserving = true;
    const demand = this.queue.reduce((sum, w) => sum + w.needMs, 0);
    // Asked for a round trip more than the demand: that part is lost to the uncertainty below.
    const blockMs = Math.max(this.queue[0].needMs, Math.min(demand, this.blockMs)) + this.lastRoundTripMs;
    try {
      const sentAt = this.now();
      const r = await this.store.reserve(this.connector, blockMs, this.maxWaitMs);
      const t = this.now();
      this.lastRoundTripMs = Math.min(t - sentAt, this.blockMs);
      if ('refusedForMs' in r) {
        const retryAt = new Date(t + Math.max(r.refusedForMs, this.msPerUnit));
        for (const w of this.queue.splice(0)) {
          const message = `${this.connector} app quota: next slot at ${retryAt.toISOString()} (no request sent)`;
          w.reject(new RateLimitError(retryAt, message, { connector: this.connector }));
        }
      } else {
        // The store's "now" fell somewhere between sending and the answer: only the part of the block
        // certainly inside it in local time is used, [answer + start, sent + start + block), so blocks
        // of other processes (which begin where this one ends on the store's timeline) never overlap
        // it, however slow the round trip. A block shorter than its round trip yields nothing.
        this.cursor = t + r.startsInMs;
        this.end = Math.max(this.cursor, sentAt + r.startsInMs + blockMs);
      }
    } catch (err) {
      const failure = new TransientError(
        `${this.connector} app quota store unavailable: ${(err as Error)?.message}`,
        { connector: this.connector },
        { cause: err },
      );
      for (const w of this.queue.splice(0)) w.reject(failure);
    } finally {
      this.reserving = false;
      this.pump();
    }
  }
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => (clearTimeout(timer), reject(signal!.reason));
    const timer = setTimeout(() => (signal?.removeEventListener('abort', onAbort), resolve()), ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The deployment's quotas, by the key the engine registered them under (its pool). */
const registered = new WeakMap<object, Map<string, AppQuota>>();

/** Called by the engine once: every context built for `key` (the engine's pool) honours these budgets. */
export function registerAppQuotas(key: object, settings: AppQuotasSettings | undefined, store: AppQuotaStore): void {
  const quotas = new Map(Object.entries(settings ?? {}).map(([name, s]) => [name, new AppQuota(name, s, store)]));
  registered.set(key, quotas);
}

/**
 * The credential's gate with the app budget in front of every call: the credential's own hold is
 * checked first (a held user spends no app slot), then the call waits for its slot, then the gate
 * runs it (checking again: a hold may have arrived during the wait). No budget: the gate as is.
 */
export function withAppQuota(gate: CallGate, key: object | undefined, connector: string, signal?: AbortSignal): CallGate {
  const quota = key ? registered.get(key)?.get(connector) : undefined;
  if (!quota) return gate;
  return {
    check: gate.check,
    run: async (operation, call, externalId) => {
      gate.check(operation, externalId);
      await quota.acquire(operation, signal);
      return gate.run(operation, call, externalId);
    },
  };
}
