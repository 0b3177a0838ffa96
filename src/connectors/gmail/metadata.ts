// Gmail message metadata -> DocMetadata: a listed message id is completed with one
// messages.get(format=metadata) so its row reads like an e-mail (Subject as title, internalDate,
// sizeEstimate, From/To/Cc/Date, thread and labels) and its known size sends it through batches.
import type { gmail_v1 } from '@googleapis/gmail';
import type { DataResult, DocMetadata, JsonObject } from '../../core/contract.js';
import { NotFoundError } from '../../core/errors.js';
import type { GoogleApi } from '../google/api.js';
import type { RateLimitSchedule } from '../google/rate-limit.js';

export const MESSAGE_MIME = 'message/rfc822';

/**
 * A message's raw content never changes, so its version is constant: a re-listing after a
 * history reset, or a label move back into scope, never downloads a message again. (Versions
 * from historyIds would differ per listing and re-download the whole mailbox after a reset.)
 */
export const MESSAGE_VERSION = 'raw-1';

export const NO_SUBJECT = '(no subject)';

/** Only these headers are asked for (metadataHeaders): smaller answers, same quota units. */
const HEADERS = ['Subject', 'From', 'To', 'Cc', 'Date'] as const;

/**
 * messages.get calls in flight per listing page. Each costs 5 quota units; Gmail allows 250
 * units per user per second, so 10 at a time stays well inside it even with fast answers.
 */
const METADATA_CONCURRENCY = 10;

/** The bare document when only the id is known (the message vanished before its metadata was read). */
export function bareMessageDoc(id: string, threadId?: string | null): DocMetadata {
  return { externalId: id, title: id, mimeType: MESSAGE_MIME, version: MESSAGE_VERSION, extra: threadId ? { threadId } : {} };
}

export function messageDoc(message: gmail_v1.Schema$Message): DocMetadata {
  const id = message.id!;
  const headers = new Map((message.payload?.headers ?? []).map((h) => [(h.name ?? '').toLowerCase(), h.value ?? '']));
  const extra: JsonObject = {};
  for (const name of HEADERS) {
    const value = headers.get(name.toLowerCase());
    if (value) extra[name.toLowerCase()] = value;
  }
  if (message.threadId) extra.threadId = message.threadId;
  if (message.labelIds) extra.labels = [...message.labelIds];
  const internalDate = Number(message.internalDate);
  const size = message.sizeEstimate ?? undefined;
  return {
    externalId: id,
    title: headers.get('subject')?.trim() || NO_SUBJECT,
    mimeType: MESSAGE_MIME,
    version: MESSAGE_VERSION,
    size: typeof size === 'number' && size >= 0 ? size : undefined,
    // internalDate is milliseconds since the epoch as a string (when Gmail received the message).
    modifiedAt: Number.isFinite(internalDate) && internalDate > 0 ? new Date(internalDate).toISOString() : undefined,
    extra,
  };
}

/** Header bytes read from a raw message: headers end at the first blank line, well before this. */
const MAX_HEADER_BYTES = 256 * 1024;

/**
 * The top-level headers of a raw RFC 5322 message, as Gmail's `payload.headers` gives them
 * (continuation lines unfolded, message order). Values are kept as sent, like the listing's.
 */
export function rawHeaders(raw: Buffer): gmail_v1.Schema$MessagePartHeader[] {
  const text = raw.subarray(0, MAX_HEADER_BYTES).toString('utf8');
  const end = text.search(/\r?\n\r?\n/);
  return (end < 0 ? text : text.slice(0, end))
    .replace(/\r?\n[ \t]+/g, ' ')
    .split(/\r?\n/)
    .map((line) => /^([^:\s]+):\s*(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => !!m)
    .map((m) => ({ name: m[1], value: m[2].trim() }));
}

/**
 * The fields of `listed` its listing did not know, taken from `full` (the downloaded message): a
 * message listed by id only (its metadata read failed) gets its Subject, size, date, headers,
 * thread and labels. Known fields are left as listed; undefined when nothing is missing.
 */
export function missingMetadata(listed: DocMetadata, full: DocMetadata): DataResult['metadata'] {
  const out: NonNullable<DataResult['metadata']> = {};
  // A bare row's title is its id (bareMessageDoc).
  if (listed.title === listed.externalId && full.title !== listed.title) out.title = full.title;
  if (listed.size === undefined && full.size !== undefined) out.size = full.size;
  if (listed.modifiedAt === undefined && full.modifiedAt !== undefined) out.modifiedAt = full.modifiedAt;
  const extra = Object.fromEntries(Object.entries(full.extra ?? {}).filter(([k]) => listed.extra?.[k] === undefined));
  if (Object.keys(extra).length) out.extra = extra;
  return Object.keys(out).length ? out : undefined;
}

/** Reads the metadata of each listed message, a few at a time; a message gone meanwhile stays bare. */
export async function describeMessages(
  { client: gmail, session, call }: GoogleApi<gmail_v1.Gmail>,
  listed: ReadonlyArray<gmail_v1.Schema$Message>,
  schedule: RateLimitSchedule,
): Promise<DocMetadata[]> {
  const out: DocMetadata[] = new Array(listed.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < listed.length; i = next++) {
      const { id, threadId } = listed[i];
      try {
        const res = await session.run(
          'users.messages.get',
          () => gmail.users.messages.get({ userId: 'me', id: id!, format: 'metadata', metadataHeaders: [...HEADERS] }, call),
          { externalId: id!, schedule },
        );
        out[i] = messageDoc({ ...res.data, id });
      } catch (err) {
        // Deleted between the listing and this call: the history feed reports the delete.
        if (!(err instanceof NotFoundError)) throw err;
        out[i] = bareMessageDoc(id!, threadId);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(METADATA_CONCURRENCY, listed.length) }, worker));
  return out;
}
