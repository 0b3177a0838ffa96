// HTTP calls that cannot hang: fetchBuffered bounds the whole exchange (headers + body) by
// one deadline; fetchStreaming bounds the wait for headers and then every wait for the next
// body chunk, so a multi-GB download may take long but a stalled or cut-off one fails fast.
// Failures become TransientError with a caller-given label; request URLs (which may carry
// secrets in their query string) never appear in messages. guardStream puts the same idle timeout
// on a body some SDK already opened (gaxios `responseType: 'stream'`). Both report progress.
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import { PassThrough, type Readable } from 'node:stream';
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
  /** One response header (joined with ", " when repeated). */
  header(name: string): string | undefined;
  /** All response headers, built on demand (error responses). */
  headers(): Headers;
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

export interface StreamingRequest {
  method: string;
  headers: Record<string, string>;
}

/**
 * One request over node:http(s) with a deadline for the headers and an idle timeout between body
 * chunks. Not `fetch`: for a 2 KiB document its Request/Response/Headers objects and the WHATWG
 * stream → async generator → Readable hops cost more worker CPU than the transfer itself (the
 * content profile in BENCHMARKS.md); here the body is the socket's own stream behind one guard.
 */
export function fetchStreaming(
  url: string,
  init: StreamingRequest,
  options: BoundedFetchOptions & { headersTimeoutMs: number; idleTimeoutMs: number },
): Promise<StreamingResponse> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const transport = target.protocol === 'http:' ? http : https;
    let timeoutReason: string | undefined;
    const req = transport.request(target, { method: init.method, headers: init.headers });
    const onCallerAbort = () => req.destroy(options.signal?.reason as Error);
    const release = () => options.signal?.removeEventListener('abort', onCallerAbort);
    const headersTimer = setTimeout(() => {
      timeoutReason = `no response headers within ${options.headersTimeoutMs} ms`;
      req.destroy();
    }, options.headersTimeoutMs);
    req.on('error', (err) => {
      clearTimeout(headersTimer);
      release();
      reject(translateFetchFailure(err, options, () => timeoutReason));
    });
    req.on('response', (res) => {
      clearTimeout(headersTimer);
      const declared = res.headers['content-length'];
      const contentLength = declared !== undefined && /^\d+$/.test(declared) ? Number(declared) : undefined;
      const body = guardStream(res, { ...options, contentLength });
      body.once('close', release);
      const status = res.statusCode ?? 0;
      resolve({
        ok: status >= 200 && status < 300,
        status,
        header: (name) => headerValue(res.headers[name.toLowerCase()]),
        headers: () => toFetchHeaders(res.headers),
        contentLength,
        body,
        text: (maxBytes) => readText(body, maxBytes),
      });
    });
    options.signal?.addEventListener('abort', onCallerAbort, { once: true });
    if (options.signal?.aborted) onCallerAbort();
    req.end();
  });
}

/** A node:http header set as WHATWG Headers (what the SDKs' error types expect). */
export function toFetchHeaders(headers: IncomingHttpHeaders): Headers {
  const out = new Headers();
  for (const [name, value] of Object.entries(headers)) {
    const joined = headerValue(value);
    if (joined !== undefined) out.set(name, joined);
  }
  return out;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/** Reads (at most maxBytes of) a body as text, then lets the connection go. */
async function readText(body: Readable, maxBytes = 64 * 1024): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    parts.push(chunk as Buffer);
    size += (chunk as Buffer).length;
    if (size >= maxBytes) break;
  }
  body.destroy();
  return Buffer.concat(parts).subarray(0, maxBytes).toString('utf8');
}

/**
 * The idle timeout for an already-open body: no bytes for `idleTimeoutMs` while the consumer is
 * reading → the source is destroyed and the returned stream errors with TransientError. A consumer
 * that stops reading (backpressure) is not a stall. Source errors become TransientError too.
 */
export function guardStream(source: Readable, options: BoundedFetchOptions & { idleTimeoutMs: number; contentLength?: number }): Readable {
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
    if (options.contentLength === undefined || received === options.contentLength) return void out.end();
    out.destroy(new TransientError(`${options.label}: body ended after ${received} of ${options.contentLength} bytes`, options.context));
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
