// The content step of one download: stream the body into the blob store (hashed while written),
// compare with what the row holds, extract text. No database and no Temporal: the caller makes the
// staged blob durable (BlobStore.persist, a whole batch at once) and records the outcome on the row.
import path from 'node:path';
import type { DataResult } from '../core/contract.js';
import { TransientError, UnsupportedContentError } from '../core/errors.js';
import type { ExtractInput } from '../extract/input.js';
import type { ExtractedText, ExtractOptions } from '../extract/types.js';
import type { BlobStore, StagedBlob } from '../store/blobs.js';
import type { DocumentRow } from '../store/documents.js';
import { keepsStoredText } from './fetch-decision.js';

/** `input.bytes`: the whole body when the blob store kept it in memory (small bodies), so extraction need not read the file back. */
export type ExtractFn = (input: ExtractInput, mimeType: string, options: ExtractOptions) => Promise<ExtractedText>;

export interface ContentLimits {
  /** Download cap: larger bodies are skipped, nothing kept. */
  maxBytes: number;
  /** Stored text is cut here and flagged truncated. */
  maxTextBytes: number;
}

export interface ContentDeps {
  blobs: BlobStore;
  extract: ExtractFn;
  limits: ContentLimits;
}

/** The columns the content step reads. */
export type ContentRow = Pick<DocumentRow, 'content_sha256' | 'text' | 'mime_type' | 'path' | 'title'>;

export type StoredContent =
  /** Over the download cap, or a type no extractor handles. */
  | { kind: 'skipped'; reason: string }
  /** Extraction failed on the bytes themselves: every attempt would fail the same way. */
  | { kind: 'broken'; reason: string }
  /** The bytes the row already has: its stored text stays. */
  | { kind: 'same-bytes'; blob: StagedBlob; mimeType: string }
  | { kind: 'extracted'; blob: StagedBlob; mimeType: string; text: string; truncated: boolean };

export async function storeContent(deps: ContentDeps, row: ContentRow, data: DataResult, signal?: AbortSignal): Promise<StoredContent> {
  let blob: StagedBlob;
  try {
    blob = await deps.blobs.stage(data.body, { maxBytes: deps.limits.maxBytes, signal });
  } catch (err) {
    if (err instanceof UnsupportedContentError) return { kind: 'skipped', reason: err.message };
    throw err;
  }
  const mimeType = data.mimeType || row.mime_type || 'application/octet-stream';
  if (keepsStoredText(row, blob.sha256)) return { kind: 'same-bytes', blob, mimeType };
  const content = await extractStaged(deps, row, blob, mimeType, signal).catch(async (err: unknown) => {
    await deps.blobs.discard([blob]);
    throw err;
  });
  // No row will point at the bytes of skipped or broken content: drop them.
  if (content.kind !== 'extracted') await deps.blobs.discard([blob]);
  return content;
}

async function extractStaged(
  deps: ContentDeps,
  row: ContentRow,
  blob: StagedBlob,
  mimeType: string,
  signal: AbortSignal | undefined,
): Promise<StoredContent> {
  try {
    // A zero-byte file has no text; no extractor (or Tika round trip) needed.
    const extracted =
      blob.size === 0
        ? { text: '', truncated: false }
        : await deps.extract({ path: blob.path, bytes: blob.bytes }, mimeType, {
            maxTextBytes: deps.limits.maxTextBytes,
            signal,
            // Blob paths have no extension: the name lets Markdown/CSV/e-mail be recognised.
            fileName: row.path ? path.posix.basename(row.path) : row.title,
          });
    return { kind: 'extracted', blob, mimeType, text: extracted.text, truncated: extracted.truncated };
  } catch (err) {
    if (err instanceof UnsupportedContentError) return { kind: 'skipped', reason: err.message };
    if (err instanceof TransientError || (err as Error).name === 'AbortError') throw err;
    // A damaged file fails the same way on every attempt: record it now instead of retrying.
    return { kind: 'broken', reason: `text extraction failed: ${(err as Error).message}` };
  }
}
