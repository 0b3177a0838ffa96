// The disruptions of a chaos run and when they strike: worker kill -9s (some right after the fake
// answered a listing call, some mid-download), one Temporal restart and one Postgres restart.
import type { FakeDropbox } from '../../test/fakes/dropbox/server.js';

export type Disruption = { kind: 'kill'; phase: 'listing' | 'content' } | { kind: 'restart-temporal' } | { kind: 'restart-postgres' };

export interface Planned {
  disruption: Disruption;
  /** Fraction of documents stored before it strikes ('spread'); the first one only in 'burst'. */
  atFraction: number;
}

export interface PlanOptions {
  kills: number;
  restartTemporal: boolean;
  restartPostgres: boolean;
  /** 'spread': random points across the whole sync; 'burst': one after another (short runs). */
  schedule: 'spread' | 'burst';
  random: () => number;
}

export function planDisruptions(o: PlanOptions): Planned[] {
  const list: Disruption[] = [];
  for (let i = 0; i < o.kills; i++) list.push({ kind: 'kill', phase: i % 2 === 0 ? 'listing' : 'content' });
  if (o.restartTemporal) list.splice(Math.min(2, list.length), 0, { kind: 'restart-temporal' });
  if (o.restartPostgres) list.splice(Math.min(4, list.length), 0, { kind: 'restart-postgres' });
  if (o.schedule === 'burst') return list.map((disruption) => ({ disruption, atFraction: 0.1 }));
  // Spread: one random point inside each equal slice of 8%..92%, so they never bunch up.
  const slice = 0.84 / Math.max(list.length, 1);
  return list.map((disruption, i) => ({ disruption, atFraction: 0.08 + slice * (i + o.random()) }));
}

/** Resolves as soon as the fake has answered a list_folder/continue call it had not answered before. */
export async function nextListingAnswer(fake: FakeDropbox, timeoutMs: number): Promise<boolean> {
  const seen = fake.requests.length;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (let i = seen; i < fake.requests.length; i++) {
      const r = fake.requests[i];
      if (r.route === '/2/files/list_folder/continue' && r.status === 200) return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return false;
}

/** Deterministic pseudo-random numbers (mulberry32), so a failing run can be repeated with --seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
