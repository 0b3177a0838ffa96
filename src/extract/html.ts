// HTML and XHTML through `html-to-text`: readable text without markup, scripts or styles.
import type { HtmlToTextOptions } from 'html-to-text';
import type { Extractor } from './types.js';
import { readPrefix } from './input.js';
import { decode, encodingOf } from './plain-text.js';

const baseOptions: HtmlToTextOptions = {
  wordwrap: false,
  selectors: [
    { selector: 'a', options: { ignoreHref: true } },
    { selector: 'img', format: 'skip' },
    { selector: 'script', format: 'skip' },
    { selector: 'style', format: 'skip' },
    { selector: 'noscript', format: 'skip' },
    // Keep the author's case: search indexes and snippets should see the words as written.
    ...['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((selector) => ({ selector, options: { uppercase: false } })),
    { selector: 'table', options: { uppercaseHeaderCells: false } },
  ],
};

/** html-to-text builds a DOM (several times the page in memory): larger pages are converted up to here. */
export const HTML_INPUT_CAP = 16 * 1024 * 1024;

/** Only the first `min(maxInputBytes, 16 MiB)` of a huge page are converted; the result is flagged truncated. */
export const extractHtml: Extractor = async (filePath, ctx) => {
  const { bytes, complete } = await readPrefix(filePath, Math.min(ctx.options.maxInputBytes, HTML_INPUT_CAP), ctx.bytes);
  const html = decode(bytes, encodingOf(bytes, ctx.charset));
  // Our own cap decides; html-to-text's default limit would cut silently at 16 Mi chars.
  // Loaded on first use (≈ 9 MiB): an idle activity worker does not hold it.
  const { convert } = await import('html-to-text');
  const text = convert(html, { ...baseOptions, limits: { maxInputLength: html.length + 1 } });
  return { text, truncated: !complete };
};
