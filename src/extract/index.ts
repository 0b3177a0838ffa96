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
import { extractWithTika } from './tika.js';
import type { ExtractedText, ExtractOptions } from './types.js';

export { detectContentType, type DetectedType } from './detect.js';
export { extractBuiltIn } from './builtin.js';
export { extractWithTika, TikaError } from './tika.js';
export { truncate } from './truncate.js';
export * from './types.js';

export async function extractText(filePath: string, mimeType: string, options: ExtractOptions): Promise<ExtractedText> {
  const tikaUrl = options.tikaUrl ?? process.env.TIKA_URL;
  if (tikaUrl) return extractWithTika(filePath, mimeType, { ...options, tikaUrl });
  return extractBuiltIn(filePath, mimeType, options);
}
