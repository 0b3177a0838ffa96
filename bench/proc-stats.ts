// Per-process CPU and memory from Linux /proc, to name what bounds a figure: the worker process,
// the Postgres server (postmaster and its backends) or the Temporal dev server.
import { readdirSync, readFileSync } from 'node:fs';

// USER_HZ: 100 on every Linux kernel config we run on (getconf CLK_TCK); /proc/<pid>/stat counts in it.
const TICK_MS = 10;

interface Stat {
  ppid: number;
  /** utime + stime, ms. */
  selfMs: number;
  /** cutime + cstime (children that exited and were waited for), ms. */
  childrenMs: number;
}

function readStat(pid: number): Stat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: split after its closing parenthesis.
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // f[0] is field 3 (state); utime/stime/cutime/cstime are fields 14–17.
    return { ppid: Number(f[1]), selfMs: (Number(f[11]) + Number(f[12])) * TICK_MS, childrenMs: (Number(f[13]) + Number(f[14])) * TICK_MS };
  } catch {
    return undefined; // the process exited
  }
}

/** utime + stime of one process so far, ms. */
export function processCpuMs(pid: number): number {
  return readStat(pid)?.selfMs ?? 0;
}

/** CPU of a process and all its descendants, live and reaped (Postgres forks one backend per connection), ms. */
export function treeCpuMs(rootPid: number): number {
  const stats = new Map<number, Stat>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat) stats.set(Number(entry), stat);
  }
  let total = 0;
  const queue = [rootPid];
  while (queue.length > 0) {
    const pid = queue.pop()!;
    const stat = stats.get(pid);
    if (!stat) continue;
    total += stat.selfMs + stat.childrenMs;
    for (const [child, s] of stats) if (s.ppid === pid) queue.push(child);
  }
  return total;
}

function statusMiB(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  try {
    const kb = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** Peak resident set size of `pid`, MiB (VmHWM). */
export const peakRssMiB = (pid: number): number => statusMiB(pid, 'VmHWM');

/** Resident set size of `pid` now, MiB (VmRSS). */
export const rssMiB = (pid: number): number => statusMiB(pid, 'VmRSS');

function benchCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

export interface CpuShares {
  worker: number;
  postgres: number;
  temporal: number;
  bench: number;
}

/** CPU used between start() and stop(), in cores (CPU seconds per wall second), per process group. */
export function cpuMeter(pids: { worker: number[]; postgres?: number; temporal?: number }): { stop(): CpuShares } {
  const read = (): CpuShares => ({
    worker: pids.worker.reduce((sum, pid) => sum + processCpuMs(pid), 0),
    postgres: pids.postgres ? treeCpuMs(pids.postgres) : 0,
    temporal: pids.temporal ? processCpuMs(pids.temporal) : 0,
    bench: benchCpuMs(),
  });
  const t0 = performance.now();
  const before = read();
  return {
    stop() {
      const after = read();
      const wall = performance.now() - t0;
      const share = (k: keyof CpuShares) => (after[k] - before[k]) / wall;
      return { worker: share('worker'), postgres: share('postgres'), temporal: share('temporal'), bench: share('bench') };
    },
  };
}

/** "worker 0.95, postgres 0.40, temporal 0.30, bench+fakes 0.20 cores" for a row's detail. */
export function formatShares(s: CpuShares): string {
  return `CPU cores: worker ${s.worker.toFixed(2)}, postgres ${s.postgres.toFixed(2)}, temporal ${s.temporal.toFixed(2)}, bench+fakes ${s.bench.toFixed(2)}`;
}
