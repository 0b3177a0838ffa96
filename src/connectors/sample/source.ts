// The sample connector's "remote service": a JSON state file in a directory that tests and the
// demo edit between syncs, with an append-only journal (its change feed) and a call log that
// lets tests see exactly when the connector talked to the source.
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../../core/errors.js';

export interface SampleDoc {
  title: string;
  mimeType: string;
  content: string;
  version: number;
  modifiedAt: string;
}

export interface JournalEntry {
  seq: number;
  op: 'upsert' | 'delete';
  id: string;
}

export interface SampleState {
  epoch: number;
  docs: Record<string, SampleDoc>;
  journal: JournalEntry[];
  /** ISO timestamp: every call before it throws RateLimitError. */
  rateLimitUntil: string | null;
  /** Document ids whose retrieval fails with the given message. */
  failures: Record<string, string>;
  /** The next `calls` calls answer "slow down, retry in retryAfterMs" (measured from each call). */
  rateLimitNext?: { calls: number; retryAfterMs: number; op?: SampleCall['op'] } | null;
  /** When set, calls must present this token (config `token`), else AuthError. */
  requiredToken?: string | null;
}

export interface SampleCall {
  at: string;
  op: 'retrieveMetadata' | 'retrieveData';
  milestone?: unknown;
  id?: string;
  outcome: 'ok' | 'rate-limited' | 'failed' | 'not-found' | 'unauthorized';
}

const emptyState = (): SampleState => ({ epoch: 1, docs: {}, journal: [], rateLimitUntil: null, failures: {} });

export class SampleSource {
  constructor(readonly dir: string) {}

  private get stateFile(): string {
    return path.join(this.dir, 'source.json');
  }

  private get callFile(): string {
    return path.join(this.dir, 'calls.jsonl');
  }

  /** The state the connector sees; a folder that does not exist is a ConfigError. */
  async read(): Promise<SampleState> {
    return this.readState(true);
  }

  private async readState(folderRequired: boolean): Promise<SampleState> {
    try {
      return JSON.parse(await fs.readFile(this.stateFile, 'utf8')) as SampleState;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      // A folder without source.json is a source with no documents yet; a folder that is not there is
      // a wrong sourceDir, which must fail the sync rather than report 0 documents as success.
      const folder = await fs.stat(this.dir).catch(() => undefined);
      if (folderRequired && !folder?.isDirectory()) {
        throw new ConfigError(`sample source folder ${this.dir} does not exist (config sourceDir)`, ['sourceDir'], { connector: 'sample' });
      }
      return emptyState();
    }
  }

  private async write(state: SampleState): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true });
    // Unique per write: concurrent calls of one process (batch lanes) may write in the same millisecond.
    const tmp = `${this.stateFile}.${process.pid}.${randomUUID()}.tmp`;
    await fs.writeFile(tmp, JSON.stringify(state, null, 2));
    await fs.rename(tmp, this.stateFile);
  }

  private async update(change: (state: SampleState) => void): Promise<SampleState> {
    const state = await this.readState(false); // staging a new source creates its folder
    change(state);
    await this.write(state);
    return state;
  }

  private static nextSeq(state: SampleState): number {
    return (state.journal.at(-1)?.seq ?? 0) + 1;
  }

  /** Creates or changes a document (its version goes up). */
  async put(id: string, doc: { title: string; content: string; mimeType?: string }): Promise<void> {
    await this.update((state) => {
      const previous = state.docs[id];
      state.docs[id] = {
        title: doc.title,
        content: doc.content,
        mimeType: doc.mimeType ?? 'text/plain',
        version: (previous?.version ?? 0) + 1,
        modifiedAt: new Date().toISOString(),
      };
      state.journal.push({ seq: SampleSource.nextSeq(state), op: 'upsert', id });
    });
  }

  /** Deletes a document; `silently` leaves no journal entry (only a full re-listing notices). */
  async remove(id: string, options: { silently?: boolean } = {}): Promise<void> {
    await this.update((state) => {
      if (!state.docs[id]) throw new Error(`sample source has no document "${id}"`);
      delete state.docs[id];
      if (!options.silently) state.journal.push({ seq: SampleSource.nextSeq(state), op: 'delete', id });
    });
  }

  async rateLimitUntil(until: Date | null): Promise<void> {
    await this.update((state) => {
      state.rateLimitUntil = until ? until.toISOString() : null;
    });
  }

  /** Makes every call require `token` (null: no auth), like an API key the user can revoke. */
  async requireToken(token: string | null): Promise<void> {
    await this.update((state) => {
      state.requiredToken = token;
    });
  }

  /** The next `calls` calls are refused with a retry-after of `retryAfterMs` from the moment of the call. */
  async rateLimitNextCalls(calls: number, retryAfterMs: number, op?: SampleCall['op']): Promise<void> {
    await this.update((state) => {
      state.rateLimitNext = calls > 0 ? { calls, retryAfterMs, op } : null;
    });
  }

  /** Consumes one refused call if any are pending; returns when the caller may retry. */
  async takeRateLimitedCall(op: SampleCall['op']): Promise<Date | undefined> {
    let retryAt: Date | undefined;
    await this.update((state) => {
      const next = state.rateLimitNext;
      if (!next || next.calls <= 0 || (next.op && next.op !== op)) return;
      retryAt = new Date(Date.now() + next.retryAfterMs);
      state.rateLimitNext = next.calls > 1 ? { ...next, calls: next.calls - 1 } : null;
    });
    return retryAt;
  }

  async failRetrieval(id: string, message: string | null): Promise<void> {
    await this.update((state) => {
      if (message === null) delete state.failures[id];
      else state.failures[id] = message;
    });
  }

  /** Invalidates every cursor handed out so far, like a provider's "reset" error. */
  async invalidateCursors(): Promise<void> {
    await this.update((state) => {
      state.epoch += 1;
    });
  }

  async logCall(call: Omit<SampleCall, 'at'>): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true });
    await fs.appendFile(this.callFile, JSON.stringify({ at: new Date().toISOString(), ...call }) + '\n');
  }

  async calls(): Promise<SampleCall[]> {
    try {
      const text = await fs.readFile(this.callFile, 'utf8');
      return text
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as SampleCall);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }
}
