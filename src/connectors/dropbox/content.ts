// Streams a file's bytes from the content host. The SDK's filesDownload buffers the whole
// file and can hang on a cut-off body, so we call /2/files/download (or /2/files/export
// for cloud docs, is_downloadable: false) ourselves with the session's access token.
import { DropboxResponseError } from 'dropbox';
import type { ConnectorContext, DataResult, DocMetadata } from '../../core/contract.js';
import { fetchStreaming } from '../shared/fetch-with-timeout.js';
import { guessMimeType } from '../shared/mime.js';
import type { DropboxConfig } from './config.js';
import { CONNECTOR_NAME } from './errors.js';
import { headerSafeJson, resolveDropboxUrl } from './fetch.js';
import type { DropboxSession } from './session.js';

export type ContentRoute = 'files/download' | 'files/export';

interface DownloadResult {
  name?: string;
  size?: number;
}
interface ExportResult {
  export_metadata?: { name?: string; size?: number };
  file_metadata?: DownloadResult;
}

export function openContent(
  session: DropboxSession,
  ctx: ConnectorContext<DropboxConfig>,
  doc: DocMetadata,
  route: ContentRoute,
): Promise<DataResult> {
  const { config } = ctx;
  const path = doc.externalId.startsWith('id:') ? doc.externalId : `id:${doc.externalId}`;
  return session.call(
    ctx,
    route,
    async (_dbx, accessToken) => {
      const res = await fetchStreaming(
        resolveDropboxUrl(`https://content.dropboxapi.com/2/${route}`, config.apiBaseUrl),
        {
          method: 'POST',
          headers: { Authorization: `Bearer ${accessToken}`, 'Dropbox-API-Arg': headerSafeJson({ path }) },
        },
        {
          label: `dropbox ${route} for user ${ctx.userId} (doc ${doc.externalId})`,
          context: { connector: CONNECTOR_NAME, userId: ctx.userId, externalId: doc.externalId },
          signal: ctx.signal,
          headersTimeoutMs: config.requestTimeoutMs,
          idleTimeoutMs: config.requestTimeoutMs,
          // Progress, not a timer: a stalled body stops the heartbeats as well as tripping the idle timeout.
          onProgress: (bytes) => progressHeartbeat(ctx, doc.externalId, bytes),
        },
      );
      if (!res.ok) {
        // Same shape as the SDK's errors, so one mapping handles both.
        throw new DropboxResponseError(res.status, res.headers(), parseJsonOrText(await res.text()));
      }
      const result = parseJsonOrText(res.header('dropbox-api-result') ?? '') as DownloadResult & ExportResult;
      const described = route === 'files/export' ? (result.export_metadata ?? {}) : result;
      const name = typeof described?.name === 'string' ? described.name : doc.title;
      const size = typeof described?.size === 'number' ? described.size : res.contentLength;
      const mimeType =
        route === 'files/download' && doc.mimeType && doc.mimeType !== 'application/octet-stream'
          ? doc.mimeType
          : guessMimeType(name, doc.mimeType);
      return { body: res.body, mimeType, size };
    },
    doc.externalId,
  );
}

/**
 * At most one progress heartbeat per activity per second. Every heartbeat call costs the worker a
 * payload conversion (the SDK's JS UTF-8 encoder) and a pass through its rxjs heartbeat pipeline,
 * and the server only sees one per throttle interval anyway: per body chunk, the calls were the
 * largest single docsync-caused cost in the content profile (`encode` ≈ 5 % of the main thread).
 * Keyed by the context, which is one per activity (a batch's downloads share it).
 */
const PROGRESS_HEARTBEAT_MS = 1_000;
const lastProgressBeat = new WeakMap<object, number>();

function progressHeartbeat(ctx: ConnectorContext<DropboxConfig>, externalId: string, bytes: number): void {
  const now = Date.now();
  if (now - (lastProgressBeat.get(ctx) ?? 0) < PROGRESS_HEARTBEAT_MS) return;
  lastProgressBeat.set(ctx, now);
  ctx.heartbeat({ externalId, bytes });
}

function parseJsonOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
