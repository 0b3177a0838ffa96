// The pure fetch decision and batch partition: what happens to a document before any download,
// decided from its row alone (no Postgres, no Temporal).
import { describe, expect, it } from 'vitest';
import { partitionBySize, SMALL_DOC_BYTES } from '../../../src/pipeline/fetch-batch.js';
import { decideFetch, keepsStoredText, type RowFacts } from '../../../src/pipeline/fetch-decision.js';

const caps = { maxBytes: 1000 };
const ref = { externalId: 'a.txt', version: 'v2' };
const row = (facts: Partial<RowFacts> = {}): RowFacts => ({
  version: 'v2',
  deleted_at: null,
  fetched_version: null,
  status: 'pending',
  size: '10',
  ...facts,
});

describe('deciding whether to fetch a document', () => {
  it('given no row, the document is gone', () => {
    expect(decideFetch(undefined, ref, caps)).toEqual({ action: 'deleted' });
  });

  it('given a tombstoned row, the document is gone', () => {
    expect(decideFetch(row({ deleted_at: new Date() }), ref, caps)).toEqual({ action: 'deleted' });
  });

  it('given a row listed at a newer version, this fetch is superseded', () => {
    expect(decideFetch(row({ version: 'v3' }), ref, caps)).toEqual({ action: 'superseded' });
  });

  it.each(['fetched', 'skipped'] as const)('given this version already %s, nothing is done', (status) => {
    expect(decideFetch(row({ fetched_version: 'v2', status }), ref, caps)).toEqual({ action: 'unchanged' });
  });

  it('given this version failed before, it is fetched again', () => {
    const failed = row({ fetched_version: 'v2', status: 'failed' });
    expect(decideFetch(failed, ref, caps)).toEqual({ action: 'fetch', row: failed });
  });

  it('given a listed size over the cap, it is skipped with the sizes in the reason', () => {
    const decision = decideFetch(row({ size: '1001' }), ref, caps);
    expect(decision).toEqual({ action: 'skip', reason: 'content of 1001 bytes (listed size) exceeds the 1000-byte download cap' });
  });

  it('given a listed size at the cap, or no listed size, it is fetched', () => {
    expect(decideFetch(row({ size: '1000' }), ref, caps).action).toBe('fetch');
    expect(decideFetch(row({ size: null }), ref, caps).action).toBe('fetch');
  });

  it('keeps the stored text only for the same bytes with text already extracted', () => {
    expect(keepsStoredText({ content_sha256: 'abc', text: 'hello' }, 'abc')).toBe(true);
    expect(keepsStoredText({ content_sha256: 'abc', text: null }, 'abc')).toBe(false);
    expect(keepsStoredText({ content_sha256: 'abc', text: 'hello' }, 'def')).toBe(false);
  });
});

describe('splitting a batch by listed size', () => {
  it('keeps small and unlisted documents in the batch and hands large or unknown sizes to children, in order', () => {
    const docs = ['small', 'huge', 'nosize', 'norow', 'edge'].map((externalId) => ({ externalId, version: '1' }));
    const sizes = new Map<string, number | null>([
      ['small', 10],
      ['huge', SMALL_DOC_BYTES + 1],
      ['nosize', null],
      ['edge', SMALL_DOC_BYTES],
    ]);
    const { small, large } = partitionBySize(docs, sizes);
    expect(small.map((d) => d.externalId)).toEqual(['small', 'norow', 'edge']);
    expect(large.map((d) => d.externalId)).toEqual(['huge', 'nosize']);
  });
});
