// Text extraction entry point: picks an extractor by mime type. Built-in extractors handle
// plain text and HTML for now; unsupported types raise UnsupportedContentError (doc skipped).
import { promises as fs } from 'node:fs';
import { UnsupportedContentError } from '../connectors/types.js';

export interface ExtractOptions {
  /** Stored text is cut at this many bytes (UTF-8) and flagged truncated. */
  maxTextBytes: number;
  signal?: AbortSignal;
}

export interface ExtractedText {
  text: string;
  truncated: boolean;
  /** The mime type the extractor used. */
  mimeType: string;
}

const TEXT_TYPES = new Set(['text/plain', 'text/markdown', 'text/csv', 'application/json']);

export async function extractText(filePath: string, mimeType: string, options: ExtractOptions): Promise<ExtractedText> {
  const base = mimeType.split(';')[0].trim().toLowerCase();
  if (TEXT_TYPES.has(base)) {
    return truncate(await fs.readFile(filePath, 'utf8'), options.maxTextBytes, base);
  }
  if (base === 'text/html') {
    return truncate(htmlToText(await fs.readFile(filePath, 'utf8')), options.maxTextBytes, base);
  }
  throw new UnsupportedContentError(`no text extractor for mime type "${base}"`);
}

function htmlToText(html: string): string {
  return html
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<br\s*\/?>|<\/(p|div|h[1-6]|li|tr)>/gi, '\n')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/[ \t]+/g, ' ')
    .replace(/\s*\n\s*/g, '\n')
    .trim();
}

export function truncate(text: string, maxBytes: number, mimeType: string): ExtractedText {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return { text, truncated: false, mimeType };
  // Cut on a character boundary: decoding a partial sequence drops the broken tail.
  const cut = bytes.subarray(0, maxBytes).toString('utf8').replace(/\uFFFD$/, '');
  return { text: cut, truncated: true, mimeType };
}
