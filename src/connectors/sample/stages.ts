// The original framework's four demo stages as edits of a SampleSource; used by the demo
// (`npm start`) and by the stage tests, so both replay exactly the same story.
import type { SampleSource } from './source.js';

export const STAGE_DOCS = {
  'doc-1': { title: 'Quarterly report', content: 'Revenue grew in the third quarter.' },
  'doc-2': {
    title: 'Team page',
    mimeType: 'text/html',
    content: '<html><body><h1>Team</h1><p>Alice &amp; Bob build docsync.</p><script>ignored()</script></body></html>',
  },
  'doc-3': { title: 'Notes', content: 'Remember to water the plants.' },
} as const;

/** Stage 1: three documents appear at the source. */
export async function stageCreateThreeDocs(source: SampleSource): Promise<void> {
  for (const [id, doc] of Object.entries(STAGE_DOCS)) await source.put(id, doc);
}

/** Stage 3: document #2 disappears at the source. */
export async function stageDeleteDocTwo(source: SampleSource): Promise<void> {
  await source.remove('doc-2');
}

/** Stage 4: the source answers "slow down" until `retryAt`; a new document waits behind the limit. */
export async function stageRateLimit(source: SampleSource, retryAt: Date): Promise<void> {
  await source.rateLimitUntil(retryAt);
  await source.put('doc-4', { title: 'After the wait', content: 'Fetched once the quota came back.' });
}
