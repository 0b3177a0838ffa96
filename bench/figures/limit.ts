// Limit figure: only the physical work of a first sync, no Temporal, no docsync code: download each
// body over loopback with plain fetch from the same generated fake, sha256 it, write a temp file,
// fsync, rename, one UPDATE per document. Its docs/s is this machine's ceiling for `content`.
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, rename } from 'node:fs/promises';
import path from 'node:path';
import pLimit from 'p-limit';
import type { CorpusOptions } from '../../test/fakes/dropbox/corpus.js';
import { cpuMeter, formatShares } from '../proc-stats.js';
import { createBenchEnv, type BenchServices } from '../services.js';
import { seconds } from '../sync.js';
import type { FigureRow } from '../table.js';

export interface LimitOptions {
  corpus: CorpusOptions;
  /** Downloads in flight (the issue asks for 32–100). */
  concurrency: number;
}

export interface LimitResult {
  rate: number;
  docs: number;
  concurrency: number;
  /** CPU per process during the run (the script and the fake are the bench process). */
  cpu: string;
}

// One measurement per run and corpus: `content` divides by it whether or not `limit` ran first.
const measured = new Map<string, Promise<LimitResult>>();

export function measureLimit(services: BenchServices, opts: LimitOptions): Promise<LimitResult> {
  const key = JSON.stringify(opts);
  let result = measured.get(key);
  if (!result) {
    result = runLimit(services, opts);
    measured.set(key, result);
  }
  return result;
}

async function runLimit(services: BenchServices, opts: LimitOptions): Promise<LimitResult> {
  const env = await createBenchEnv(services, 'limit', opts.corpus);
  try {
    const docs = env.corpus.size;
    await env.pool.query('CREATE TABLE limit_docs (id text PRIMARY KEY, sha256 text, status text NOT NULL)');
    await env.pool.query("INSERT INTO limit_docs (id, status) SELECT 'id:gen' || i, 'pending' FROM generate_series(0, $1 - 1) AS i", [
      docs,
    ]);
    const blobs = path.join(env.blobDir, 'limit');
    await mkdir(blobs, { recursive: true });
    const token = env.fake.accessToken;
    const limit = pLimit(opts.concurrency);

    const fetchOne = async (id: string): Promise<void> => {
      const res = await fetch(`${env.fakeUrl}/2/files/download`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Dropbox-API-Arg': JSON.stringify({ path: id }) },
      });
      if (!res.ok || !res.body) throw new Error(`limit: download ${id} answered ${res.status}`);
      const tmp = path.join(blobs, `.tmp-${randomUUID()}`);
      const file = await open(tmp, 'w');
      const hash = createHash('sha256');
      try {
        for await (const chunk of res.body) {
          hash.update(chunk);
          await file.write(chunk);
        }
        await file.sync();
      } finally {
        await file.close();
      }
      const sha = hash.digest('hex');
      await rename(tmp, path.join(blobs, sha));
      await env.pool.query("UPDATE limit_docs SET sha256 = $2, status = 'fetched' WHERE id = $1", [id, sha]);
    };

    const meter = cpuMeter({ worker: [], postgres: services.postgres.pid(), temporal: services.temporal.pid() });
    const t0 = performance.now();
    await Promise.all(Array.from({ length: docs }, (_, i) => limit(() => fetchOne(`id:gen${i}`))));
    const rate = docs / seconds(t0);
    const cpu = formatShares(meter.stop());
    const { rows } = await env.pool.query<{ n: string }>("SELECT count(*) AS n FROM limit_docs WHERE status = 'fetched'");
    if (Number(rows[0]!.n) !== docs) throw new Error(`limit: ${rows[0]!.n} of ${docs} rows fetched`);
    return { rate, docs, concurrency: opts.concurrency, cpu };
  } finally {
    await env.close();
  }
}

export async function limitFigure(services: BenchServices, opts: LimitOptions): Promise<FigureRow[]> {
  const { rate, docs, concurrency, cpu } = await measureLimit(services, opts);
  return [
    {
      figure: 'limit',
      metric: 'physical work only (fetch, sha256, fsync, UPDATE)',
      value: rate,
      unit: 'docs/s',
      detail: `${docs} docs, ${concurrency} in flight, plain fetch over loopback from the same fake, no Temporal, no docsync code; ${cpu}`,
    },
  ];
}
