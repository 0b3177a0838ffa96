// Drive document content: binary files stream from files.get(alt=media); Docs/Sheets/Slides
// are exported to text; other Google types and files Drive refuses to hand out are skipped.
// Streams have a deadline for the response headers and an idle timeout on the body
// (requestTimeoutMs each), and report their progress as heartbeats.
import type { Readable } from 'node:stream';
import type { drive_v3 } from '@googleapis/drive';
import type { ConnectorContext, DataResult, DocMetadata } from '../../core/contract.js';
import { TransientError, UnsupportedContentError } from '../../core/errors.js';
import { FIXED_SCHEDULE, type GoogleApi } from '../google/api.js';
import type { GoogleSession } from '../google/auth.js';
import { guardStream } from '../shared/fetch-with-timeout.js';
import type { GdriveConfig } from './config.js';
import { EXPORT_MIME, isGoogleAppsType } from './files.js';

type StreamRequest = (options: { signal: AbortSignal; responseType: 'stream' }) => Promise<{ data: unknown }>;

export async function retrieveDriveContent(
  ctx: ConnectorContext<GdriveConfig>,
  { client: drive, session }: GoogleApi<drive_v3.Drive>,
  doc: DocMetadata,
): Promise<DataResult> {
  const fileId = doc.externalId;
  const googleMimeType = typeof doc.extra?.googleMimeType === 'string' ? doc.extra.googleMimeType : (doc.mimeType ?? '');

  if (isGoogleAppsType(googleMimeType)) {
    const target = EXPORT_MIME[googleMimeType];
    if (!target) {
      throw new UnsupportedContentError(`gdrive: ${googleMimeType} has no text export`, {
        connector: 'gdrive',
        userId: ctx.userId,
        externalId: fileId,
      });
    }
    const body = await openStream(ctx, session, 'files.export', fileId, (opts) => drive.files.export({ fileId, mimeType: target }, opts));
    return { body, mimeType: target };
  }

  const body = await openStream(ctx, session, 'files.get', fileId, (opts) =>
    drive.files.get({ fileId, alt: 'media', supportsAllDrives: true }, opts),
  );
  return { body, mimeType: googleMimeType || 'application/octet-stream', size: doc.size };
}

/**
 * A total deadline would cut long downloads, so the wait for headers and each wait for the next
 * body chunk are bounded instead: a dead connection fails with TransientError (retried) within
 * requestTimeoutMs rather than holding the document until the activity's timeout.
 */
async function openStream(
  ctx: ConnectorContext<GdriveConfig>,
  session: GoogleSession,
  operation: string,
  fileId: string,
  request: StreamRequest,
): Promise<Readable> {
  const timeoutMs = ctx.config.requestTimeoutMs;
  const label = `gdrive ${operation} for user ${ctx.userId} (doc ${fileId})`;
  const context = { connector: 'gdrive', userId: ctx.userId, externalId: fileId };
  const headers = new AbortController();
  const timer = setTimeout(
    () => headers.abort(new TransientError(`${label}: no response headers within ${timeoutMs} ms`, context)),
    timeoutMs,
  );
  const signal = AbortSignal.any([ctx.signal, headers.signal]);
  try {
    const res = await session.run(operation, () => request({ signal, responseType: 'stream' }), {
      externalId: fileId,
      schedule: FIXED_SCHEDULE,
    });
    return guardStream(res.data as Readable, {
      label,
      context,
      signal: ctx.signal,
      idleTimeoutMs: timeoutMs,
      onProgress: (bytes) => ctx.heartbeat({ externalId: fileId, bytes }),
    });
  } catch (err) {
    if (headers.signal.aborted && !ctx.signal.aborted) throw headers.signal.reason;
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
