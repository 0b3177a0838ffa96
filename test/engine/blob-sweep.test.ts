// Given temp files a crashed worker left in the blob store, the next worker start removes the stale
// ones and keeps a fresh one (a download that may still be in flight in another worker).
import { existsSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.js';

describe('blob temp files at worker start', () => {
  const h = useHarness('blob_sweep');

  it('sweeps temp files older than a day and keeps recent ones', async () => {
    const tmp = path.join(h.blobDir, 'tmp');
    mkdirSync(tmp, { recursive: true });
    const stale = path.join(tmp, 'crashed-download');
    const fresh = path.join(tmp, 'download-in-flight');
    writeFileSync(stale, 'partial body');
    writeFileSync(fresh, 'partial body');
    const twoDaysAgo = new Date(Date.now() - 2 * 24 * 60 * 60 * 1000);
    utimesSync(stale, twoDaysAgo, twoDaysAgo);
    await h.startWorker();
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(fresh)).toBe(true);
  });
});
