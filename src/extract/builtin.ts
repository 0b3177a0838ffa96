// The built-in extractors, chosen by the sniffed content type. Errors keep one shape:
// UnsupportedContentError (doc skipped, with a reason) for types or sizes we do not handle,
// a plain Error carrying the library's message for damaged files.
import { DocsyncError, UnsupportedContentError } from '../core/errors.js';
import { detectContentType } from './detect.js';
import { extractDocx } from './docx.js';
import { extractEmail } from './email.js';
import { extractHtml } from './html.js';
import { toExtractInput, type ExtractInput } from './input.js';
import { extractOffice, OFFICE_EXTENSIONS } from './office.js';
import { extractPdf } from './pdf.js';
import { extractPlainText } from './plain-text.js';
import { extractXlsx, XLSX_TYPE } from './xlsx.js';
import { truncate } from './truncate.js';
import { resolveOptions, type ExtractedText, type ExtractOptions, type Extractor, type ExtractorContext } from './types.js';

const TEXT_APPLICATION_TYPES = new Set([
  'application/json',
  'application/ld+json',
  'application/x-ndjson',
  'application/xml',
  'application/yaml',
  'application/x-yaml',
  'application/toml',
  'application/javascript',
  'application/x-sh',
  'application/sql',
]);

const HTML_TYPES = new Set(['text/html', 'application/xhtml+xml']);

export function extractorFor(mimeType: string): Extractor | undefined {
  if (HTML_TYPES.has(mimeType)) return extractHtml;
  if (mimeType.startsWith('text/') || TEXT_APPLICATION_TYPES.has(mimeType) || mimeType.endsWith('+json')) {
    return extractPlainText;
  }
  if (mimeType === 'application/pdf') return extractPdf;
  if (mimeType === 'application/vnd.openxmlformats-officedocument.wordprocessingml.document') return extractDocx;
  if (mimeType === XLSX_TYPE) return extractXlsx;
  if (mimeType in OFFICE_EXTENSIONS) return extractOffice;
  if (mimeType === 'message/rfc822') return extractEmail;
  return undefined;
}

export async function extractBuiltIn(
  source: string | ExtractInput,
  declaredMimeType: string,
  options: ExtractOptions,
  depth = 0,
): Promise<ExtractedText> {
  const { path: filePath, bytes } = toExtractInput(source);
  const resolved = resolveOptions(options, depth);
  const detected = await detectContentType(filePath, declaredMimeType, options.fileName, bytes);
  const extractor = extractorFor(detected.mimeType);
  if (!extractor) {
    throw new UnsupportedContentError(`no built-in text extractor for ${detected.mimeType} (${detected.source})`);
  }
  const ctx: ExtractorContext = {
    options: resolved,
    mimeType: detected.mimeType,
    charset: detected.charset,
    bytes,
    extractNested: (nestedPath, nestedType, fileName) => extractBuiltIn(nestedPath, nestedType, { ...options, fileName }, depth + 1),
  };
  resolved.signal?.throwIfAborted();
  let raw;
  try {
    raw = await extractor(filePath, ctx);
  } catch (err) {
    if (err instanceof DocsyncError || (err as Error)?.name === 'AbortError') throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(`cannot extract text from ${detected.mimeType}: ${message}`, { cause: err });
  }
  const result = truncate(raw.text, resolved.maxTextBytes, detected.mimeType);
  return { ...result, truncated: result.truncated || raw.truncated === true };
}
