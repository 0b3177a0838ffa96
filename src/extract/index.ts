// Text extraction entry point (the pipeline's extract step, docs/ARCHITECTURE.md): Apache Tika when
// a Tika URL is configured (option `tikaUrl`, from TIKA_URL in the worker), otherwise built-in extractors.
// Errors: UnsupportedContentError (doc skipped, with a reason) for types or sizes not handled;
// a plain Error with the extractor's message for damaged files; Tika outages are TransientError.
//
// Memory caps (see types.ts for defaults): text formats and Tika stream and read only what fits
// in `maxTextBytes`; PDF, office and e-mail libraries need the whole file in memory and refuse
// files over `maxInputBytes`; zip-based formats are checked against `maxUnzippedBytes` and
// `maxZipEntries` before any library inflates them.
import { extractBuiltIn } from './builtin.js';
import type { ExtractInput } from './input.js';
import { extractWithTika } from './tika.js';
import type { ExtractedText, ExtractOptions } from './types.js';

export { detectContentType, type DetectedType } from './detect.js';
export { extractBuiltIn } from './builtin.js';
export type { ExtractInput } from './input.js';
export { extractWithTika, TikaError } from './tika.js';
export { truncate } from './truncate.js';
export * from './types.js';

/** `source`: the file's path, or the path with the file's whole content when the caller holds it in memory. */
export async function extractText(source: string | ExtractInput, mimeType: string, options: ExtractOptions): Promise<ExtractedText> {
  const tikaUrl = options.tikaUrl ?? process.env.TIKA_URL;
  if (tikaUrl) return extractWithTika(source, mimeType, { ...options, tikaUrl });
  return extractBuiltIn(source, mimeType, options);
}
