// The fake Dropbox's notify host: POST /2/files/list_folder/longpoll as Dropbox documents it. No
// Authorization header; body {cursor, timeout = 30} with timeout in [30, 480]; the request is held
// until the account has changes after the cursor or the timeout elapsed; the answer is
// {changes, backoff?}; an invalidated cursor is 409 reset. Every poll is logged, including when the
// client closed it before an answer (a cancelled activity).
import type http from 'node:http';
import { BadInput, type DropboxJson, type FakeDropboxAccount } from './account.js';

export interface LongpollRecord {
  /** Date.now() when the poll arrived. */
  at: number;
  cursor: string;
  /** Seconds asked for. */
  timeout: number;
  /** Whether the client sent an Authorization header (the endpoint takes none). */
  authorization: boolean;
  /** Date.now() of the answer, and what it said (changes/backoff, or 'reset'). */
  answeredAt?: number;
  answer?: { changes: boolean; backoff?: number } | 'reset';
  /** Date.now() when the client closed the connection before any answer. */
  closedAt?: number;
}

export class FakeLongpoll {
  /** Every poll, oldest first. */
  readonly polls: LongpollRecord[] = [];
  /** Seconds of `backoff` added to every answer while set (Dropbox asks clients to slow down this way). */
  backoffSeconds?: number;
  /** Tests only: hold a poll with no change this long instead of its `timeout` (Dropbox also adds up to 90 s of jitter). */
  holdMs?: number;

  constructor(private readonly account: FakeDropboxAccount) {}

  /** Polls still waiting for an answer. */
  get open(): LongpollRecord[] {
    return this.polls.filter((p) => p.answeredAt === undefined && p.closedAt === undefined);
  }

  async handle(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): Promise<void> {
    const arg = parseArg(req, body);
    const record: LongpollRecord = {
      at: Date.now(),
      cursor: arg.cursor,
      timeout: arg.timeout,
      authorization: req.headers.authorization !== undefined,
    };
    this.polls.push(record);
    const first = this.account.changedSince(arg.cursor);
    if (first !== false) return this.answer(res, record, first);
    await new Promise<void>((resolve) => {
      let done = false;
      const finish = (how: () => void) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        unsubscribe();
        how();
        resolve();
      };
      const timer = setTimeout(() => finish(() => this.answer(res, record, false)), this.holdMs ?? arg.timeout * 1000);
      // Deferred: a change (a move records two paths) is complete before the poll looks at it.
      const unsubscribe = this.account.onChange(() =>
        setImmediate(() => {
          const now = this.account.changedSince(arg.cursor);
          if (now !== false) finish(() => this.answer(res, record, now));
        }),
      );
      res.on('close', () => {
        if (!res.writableFinished) finish(() => void (record.closedAt = Date.now()));
      });
    });
  }

  private answer(res: http.ServerResponse, record: LongpollRecord, changed: boolean | 'reset'): void {
    record.answeredAt = Date.now();
    if (changed === 'reset') {
      record.answer = 'reset';
      return sendJson(res, 409, { error_summary: 'reset/...', error: { '.tag': 'reset' } });
    }
    const answer: { changes: boolean; backoff?: number } = { changes: changed };
    if (this.backoffSeconds !== undefined) answer.backoff = this.backoffSeconds;
    record.answer = answer;
    sendJson(res, 200, answer);
  }
}

function parseArg(req: http.IncomingMessage, body: Buffer): { cursor: string; timeout: number } {
  if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
    throw new BadInput(`Bad HTTP "Content-Type" header: "${req.headers['content-type'] ?? ''}". Expecting "application/json".`);
  }
  let arg: DropboxJson;
  try {
    arg = JSON.parse(body.toString('utf8')) as DropboxJson;
  } catch {
    throw new BadInput('request body: could not decode input as JSON');
  }
  if (typeof arg?.cursor !== 'string') throw new BadInput("request body: missing required field 'cursor'");
  const timeout = arg.timeout ?? 30;
  if (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 30 || timeout > 480) {
    throw new BadInput(`request body: timeout: ${String(timeout)} is not within range [30, 480]`);
  }
  return { cursor: arg.cursor, timeout };
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
