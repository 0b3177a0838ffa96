// Apache Tika server client: `PUT {TIKA_URL}/tika` with `Accept: text/plain`, the file streamed
// as the request body and the text streamed back; reading stops once the text cap is reached,
// so neither side is ever held whole in memory here. One timeout covers the whole exchange.
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { TransientError, UnsupportedContentError } from '../core/errors.js';
import { detectContentType } from './detect.js';
import { readEmailHeaderBlock } from './email.js';
import { toExtractInput, type ExtractInput } from './input.js';
import { truncate } from './truncate.js';
import { DEFAULT_TIKA_TIMEOUT_MS, resolveOptions, type ExtractedText, type ExtractOptions } from './types.js';

/** Tika answered with an error status (500: the parser crashed or the server's own task timed out). */
export class TikaError extends Error {
  constructor(
    message: string,
    readonly status: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TikaError';
  }
}

/** Types for which "no text" means "nothing to extract" (no OCR configured), not an empty document. */
const NO_TEXT_MEANS_UNSUPPORTED = /^(image|audio|video|font)\/|^application\/(octet-stream|zip|x-tar|gzip|x-7z-compressed)$/;

/** In-memory bytes (a small staged body) spare the file reads of detection and e-mail headers; the upload streams the file. */
export async function extractWithTika(
  source: string | ExtractInput,
  declaredMimeType: string,
  options: ExtractOptions & { tikaUrl: string },
): Promise<ExtractedText> {
  const { path: filePath, bytes } = toExtractInput(source);
  const { maxTextBytes, signal } = resolveOptions(options);
  const timeoutMs = options.tikaTimeoutMs ?? DEFAULT_TIKA_TIMEOUT_MS;
  const detected = await detectContentType(filePath, declaredMimeType, options.fileName, bytes);
  const url = new URL('tika', options.tikaUrl.endsWith('/') ? options.tikaUrl : `${options.tikaUrl}/`);
  const timeout = AbortSignal.timeout(timeoutMs);
  const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;

  const failure = (err: unknown): Error => {
    if (signal?.aborted) return signal.reason instanceof Error ? signal.reason : (err as Error);
    if (timeout.aborted) return new TransientError(`Tika at ${url.origin} did not finish within ${timeoutMs} ms`);
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return new TransientError(`Tika at ${url.origin} unreachable: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
  };

  let response: Response;
  try {
    response = await fetch(url, {
      method: 'PUT',
      headers: {
        Accept: 'text/plain',
        // A hint only: Tika's own detection (magic bytes first) decides.
        'Content-Type': detected.mimeType,
        ...fileNameHeader(options.fileName),
      },
      body: Readable.toWeb(createReadStream(filePath)) as ReadableStream<Uint8Array>,
      duplex: 'half',
      signal: combined,
    } as RequestInit);
  } catch (err) {
    throw failure(err);
  }

  if (response.status === 415 || response.status === 422) {
    const detail = await errorExcerpt(response);
    throw new UnsupportedContentError(`Tika cannot extract ${detected.mimeType} (HTTP ${response.status})${detail}`, {
      status: response.status,
    });
  }
  if (!response.ok) {
    const detail = await errorExcerpt(response);
    const message = `Tika returned HTTP ${response.status} for ${detected.mimeType}${detail}`;
    throw response.status === 502 || response.status === 503 || response.status === 504
      ? new TransientError(message, { status: response.status })
      : new TikaError(message, response.status);
  }

  let body: { text: string; complete: boolean };
  try {
    body = await readTextPrefix(response, maxTextBytes);
  } catch (err) {
    throw failure(err);
  }
  if (!body.text.trim() && NO_TEXT_MEANS_UNSUPPORTED.test(detected.mimeType)) {
    throw new UnsupportedContentError(`Tika found no text in ${detected.mimeType}`);
  }
  let text = body.text.replace(/[ \t]*\n[ \t]*\n(\s*\n)+/g, '\n\n').trim();
  // Tika's text has the message body and attachments but none of the headers.
  if (detected.mimeType === 'message/rfc822') text = `${await readEmailHeaderBlock(filePath, bytes)}\n\n${text}`;
  const result = truncate(text, maxTextBytes, detected.mimeType);
  return { ...result, truncated: result.truncated || !body.complete };
}

/** Reads the response as UTF-8 until just past `maxBytes`, then cancels the rest. */
async function readTextPrefix(response: Response, maxBytes: number): Promise<{ text: string; complete: boolean }> {
  if (!response.body) return { text: '', complete: true };
  const reader = (response.body as WebReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder('utf-8');
  const parts: string[] = [];
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) {
      parts.push(decoder.decode());
      return { text: parts.join(''), complete: true };
    }
    bytes += value.byteLength;
    parts.push(decoder.decode(value, { stream: true }));
    if (bytes > maxBytes + 4) {
      await reader.cancel();
      return { text: parts.join(''), complete: false };
    }
  }
}

async function errorExcerpt(response: Response): Promise<string> {
  try {
    const { text } = await readTextPrefix(response, 2048);
    const firstLine = text.trim().split('\n')[0]?.slice(0, 300);
    return firstLine ? `: ${firstLine}` : '';
  } catch {
    return '';
  }
}

/** Tika uses the resource name for detection; only plain ASCII names are sent (header-safe). */
function fileNameHeader(filePath: string | undefined): Record<string, string> {
  const fileName = filePath && path.basename(filePath);
  if (!fileName || !/^[\x20-\x7e]+$/.test(fileName) || /["\\]/.test(fileName)) return {};
  return { 'Content-Disposition': `attachment; filename="${fileName}"` };
}
