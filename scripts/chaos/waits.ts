// Reads the fake Dropbox's request log after a run: which rate-limit waits it announced, which
// requests still arrived inside one, and how many downloads ran at once (the stampede check).
import type { RecordedRequest } from '../../test/fakes/dropbox/server.js';

export interface AnnouncedWait {
  route: string;
  /** When the 429 was handed to the socket: from then on the client can know. */
  from: number;
  until: number;
}

export interface WaitReport {
  waits: AnnouncedWait[];
  /** Requests that arrived after a 429 was sent and before its Retry-After ran out. */
  inside: RecordedRequest[];
  /** Of those, requests already on their way: they arrived within `inFlightMs` of the 429. */
  inFlightAtAnnouncement: number;
  /** For each request inside a wait: ms after the 429 was sent, and the route (diagnosis). */
  insideDetails: string[];
}

export const DOWNLOAD_ROUTES = new Set(['/2/files/download', '/2/files/export']);

/**
 * `inFlightMs`: a request the worker sent before the 429 reached it cannot have known about the
 * wait. The fake sees only arrival times; the worker is another process whose event loop also runs
 * the batch's other downloads, and with Postgres/Temporal restarts and a test suite beside it on 2
 * cores, a 429 took up to ~125 ms to reach it (seen in CI runs). 250 ms (far below any Retry-After,
 * which is whole seconds) separates "already on its way" from "sent during the wait".
 */
export function requestsInsideWaits(requests: RecordedRequest[], inFlightMs = 250): WaitReport {
  const waits = requests
    .filter((r) => r.retryAfterSeconds !== undefined && r.status !== undefined && r.status >= 400)
    .map((r) => ({ route: r.route, from: r.finishedAt ?? r.at, until: (r.finishedAt ?? r.at) + r.retryAfterSeconds! * 1000 }));
  const insideSet = new Set<RecordedRequest>();
  const insideDetails: string[] = [];
  let inFlight = 0;
  for (const w of waits) {
    for (const r of requests) {
      if (r.at <= w.from || r.at >= w.until || insideSet.has(r)) continue;
      if (r.at - w.from <= inFlightMs) {
        inFlight += 1;
        continue;
      }
      insideSet.add(r);
      insideDetails.push(`${r.route} ${r.at - w.from} ms after a 429 on ${w.route}`);
    }
  }
  return { waits, inside: [...insideSet], inFlightAtAnnouncement: inFlight, insideDetails };
}

/** Largest number of download requests the fake was serving at the same moment. */
export function maxConcurrentDownloads(requests: RecordedRequest[], from = 0, until = Number.POSITIVE_INFINITY): number {
  const edges: [number, number][] = [];
  for (const r of requests) {
    if (!DOWNLOAD_ROUTES.has(r.route) || r.at < from || r.at >= until) continue;
    edges.push([r.at, 1], [r.finishedAt ?? r.at, -1]);
  }
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let max = 0;
  for (const [, delta] of edges) max = Math.max(max, (now += delta));
  return max;
}

/** Most downloads served at once in the first `spanMs` after any wait ended (the wake-up burst). */
export function concurrencyAfterWaits(requests: RecordedRequest[], waits: AnnouncedWait[], spanMs = 1000): number {
  return Math.max(0, ...waits.map((w) => maxConcurrentDownloads(requests, w.until, w.until + spanMs)));
}
