// HTTP calls that cannot hang: fetchBuffered bounds the whole exchange (headers + body) by
// one deadline; fetchStreaming bounds the wait for headers and then every wait for the next
// body chunk, so a multi-GB download may take long but a stalled or cut-off one fails fast.
// Failures become TransientError with a caller-given label; request URLs (which may carry
// secrets in their query string) never appear in messages. guardStream puts the same idle timeout
// on a body some SDK already opened (gaxios `responseType: 'stream'`). Both report progress.
import { PassThrough, Readable } from 'node:stream';
import { TransientError, type ErrorContext } from '../../core/errors.js';

export interface BufferedResponse {
  ok: boolean;
  status: number;
  statusText: string;
  headers: Headers;
  body: Buffer;
}

export interface StreamingResponse {
  ok: boolean;
  status: number;
  headers: Headers;
  /** Declared Content-Length, when the server sent one. */
  contentLength?: number;
  /** The body; errors with TransientError when it stalls or ends short of Content-Length. */
  body: Readable;
  /** Reads (at most maxBytes of) the body as text: for error responses. */
  text(maxBytes?: number): Promise<string>;
}

export interface BoundedFetchOptions {
  /** Names the call in errors, e.g. "dropbox files/download". Never put a URL with a query here. */
  label: string;
  /** Caller cancellation (activity cancelled): its reason is rethrown as is. */
  signal?: AbortSignal;
  /** Attached to the TransientErrors raised here (connector, user, document). */
  context?: ErrorContext;
  /** Called with the bytes received so far as the body flows (activity heartbeats). */
  onProgress?: (bytes: number) => void;
}

/** fetch + read the whole body, all within timeoutMs. */
export async function fetchBuffered(
  url: string,
  init: RequestInit,
  options: BoundedFetchOptions & { timeoutMs: number },
): Promise<BufferedResponse> {
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([deadline, options.signal]) : deadline;
  try {
    const res = await fetch(url, { ...init, signal });
    const body = Buffer.from(await res.arrayBuffer());
    return { ok: res.ok, status: res.status, statusText: res.statusText, headers: res.headers, body };
  } catch (err) {
    throw translateFetchFailure(err, options, () => (deadline.aborted ? `no complete response within ${options.timeoutMs} ms` : undefined));
  }
}

/** fetch with a deadline for the headers and an idle timeout between body chunks. */
export async function fetchStreaming(
  url: string,
  init: RequestInit,
  options: BoundedFetchOptions & { headersTimeoutMs: number; idleTimeoutMs: number },
): Promise<StreamingResponse> {
  const controller = new AbortController();
  let timeoutReason: string | undefined;
  const abortFor = (reason: string) => {
    timeoutReason = reason;
    controller.abort();
  };
  const onCallerAbort = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onCallerAbort, { once: true });
  if (options.signal?.aborted) onCallerAbort();
  const release = () => options.signal?.removeEventListener('abort', onCallerAbort);

  const headersTimer = setTimeout(() => abortFor(`no response headers within ${options.headersTimeoutMs} ms`), options.headersTimeoutMs);
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: controller.signal });
  } catch (err) {
    release();
    throw translateFetchFailure(err, options, () => timeoutReason);
  } finally {
    clearTimeout(headersTimer);
  }

  const declared = res.headers.get('content-length');
  const contentLength = declared !== null && /^\d+$/.test(declared) ? Number(declared) : undefined;
  const chunks = res.body
    ? guardedChunks(res.body, { ...options, contentLength, abortFor, timeoutReason: () => timeoutReason, release })
    : emptyChunks(release);
  const body = Readable.from(chunks, { objectMode: false });
  return {
    ok: res.ok,
    status: res.status,
    headers: res.headers,
    contentLength,
    body,
    text: async (maxBytes = 64 * 1024) => {
      const parts: Buffer[] = [];
      let size = 0;
      for await (const chunk of body) {
        parts.push(chunk as Buffer);
        size += (chunk as Buffer).length;
        if (size >= maxBytes) break;
      }
      body.destroy();
      return Buffer.concat(parts).subarray(0, maxBytes).toString('utf8');
    },
  };
}

async function* emptyChunks(release: () => void): AsyncGenerator<Buffer> {
  release();
  yield* [];
}

async function* guardedChunks(
  stream: ReadableStream<Uint8Array>,
  opts: BoundedFetchOptions & {
    idleTimeoutMs: number;
    contentLength?: number;
    abortFor(reason: string): void;
    timeoutReason(): string | undefined;
    release(): void;
  },
): AsyncGenerator<Buffer> {
  const reader = stream.getReader();
  let received = 0;
  let finished = false;
  try {
    for (;;) {
      const idleTimer = setTimeout(() => opts.abortFor(`no data for ${opts.idleTimeoutMs} ms after ${received} bytes`), opts.idleTimeoutMs);
      let step: ReadableStreamReadResult<Uint8Array>;
      try {
        step = await reader.read();
      } catch (err) {
        throw translateFetchFailure(err, opts, opts.timeoutReason, `after ${received} bytes`);
      } finally {
        clearTimeout(idleTimer);
      }
      if (step.done) break;
      received += step.value.byteLength;
      opts.onProgress?.(received);
      yield Buffer.from(step.value.buffer, step.value.byteOffset, step.value.byteLength);
    }
    finished = true;
    if (opts.contentLength !== undefined && received !== opts.contentLength) {
      throw new TransientError(`${opts.label}: body ended after ${received} of ${opts.contentLength} bytes`, opts.context);
    }
  } finally {
    opts.release();
    // The consumer stopped early (destroy/break): let the connection go.
    if (!finished) await reader.cancel().catch(() => undefined);
  }
}

/**
 * The idle timeout for an already-open body: no bytes for `idleTimeoutMs` while the consumer is
 * reading → the source is destroyed and the returned stream errors with TransientError. A consumer
 * that stops reading (backpressure) is not a stall. Source errors become TransientError too.
 */
export function guardStream(source: Readable, options: BoundedFetchOptions & { idleTimeoutMs: number }): Readable {
  const out = new PassThrough();
  let received = 0;
  let timer: NodeJS.Timeout | undefined;
  let timeoutReason: string | undefined;
  const disarm = () => clearTimeout(timer);
  const arm = () => {
    disarm();
    timer = setTimeout(() => {
      timeoutReason = `no data for ${options.idleTimeoutMs} ms after ${received} bytes`;
      fail(undefined);
    }, options.idleTimeoutMs);
  };
  const fail = (err: unknown) => {
    disarm();
    source.destroy();
    out.destroy(translateFetchFailure(err, options, () => timeoutReason, `after ${received} bytes`) as Error);
  };
  source.on('data', (chunk: Buffer) => {
    received += chunk.length;
    options.onProgress?.(received);
    if (out.write(chunk)) return arm();
    disarm();
    source.pause();
  });
  out.on('drain', () => {
    arm();
    source.resume();
  });
  source.on('end', () => {
    disarm();
    out.end();
  });
  source.on('error', fail);
  out.on('close', () => {
    disarm();
    source.destroy();
  });
  arm();
  return out;
}

/** Caller cancellation passes through; timeouts and network failures become TransientError. */
function translateFetchFailure(err: unknown, options: BoundedFetchOptions, timeoutReason: () => string | undefined, when = ''): unknown {
  if (err instanceof TransientError) return err;
  const timeout = timeoutReason();
  if (timeout) return new TransientError(`${options.label}: ${timeout}`, options.context);
  if (options.signal?.aborted) return options.signal.reason ?? err;
  const suffix = when ? ` ${when}` : '';
  return new TransientError(`${options.label}: network error${suffix} (${networkErrorCode(err)})`, options.context);
}

/** "ECONNRESET", "UND_ERR_SOCKET: other side closed"... without URLs. */
function networkErrorCode(err: unknown): string {
  const parts: string[] = [];
  let current: unknown = err;
  for (let depth = 0; current && depth < 4; depth++) {
    const e = current as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof e.code === 'string') parts.push(e.code);
    else if (typeof e.message === 'string' && !/https?:\/\//i.test(e.message)) parts.push(e.message);
    current = e.cause;
  }
  return parts.length ? [...new Set(parts)].join(': ') : 'unknown';
}
