// E-mail (RFC 822 / .eml) through `mailparser`: headers that matter for search (subject, from,
// to, cc, date), the body text (HTML bodies converted), then each attachment's text through the
// built-in extractors. mailparser buffers attachments in memory, hence the input cap.
import { createReadStream, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressObject, Attachment, ParsedMail } from 'mailparser';
import { DocsyncError } from '../core/errors.js';
import { checkInputSize } from './input-cap.js';
import { readPrefix } from './input.js';
import { TextBudget } from './truncate.js';
import { MAX_NESTING_DEPTH, type Extractor, type ExtractorContext } from './types.js';

export const extractEmail: Extractor = async (filePath, ctx) => {
  await checkInputSize(filePath, ctx);
  const mail = await (
    await mailParser()
  )(ctx.bytes ?? createReadStream(filePath), {
    skipTextToHtml: true,
    skipTextLinks: true,
    skipImageLinks: true,
  });
  const budget = new TextBudget(ctx.options.maxTextBytes);
  budget.add(headerBlock(mail));
  budget.add('\n\n' + (mail.text ?? '').trim());

  for (const attachment of mail.attachments) {
    if (budget.full) break;
    ctx.options.signal?.throwIfAborted();
    if (attachment.related && attachment.contentType.startsWith('image/')) continue; // inline pictures
    budget.add('\n\n' + (await attachmentText(attachment, ctx)));
  }
  return budget.result();
};

/** The searchable headers as text lines ("Subject: ...", "From: ...", ...). */
function headerBlock(mail: ParsedMail): string {
  const headers = [
    ['Subject', mail.subject],
    ['From', addresses(mail.from)],
    ['To', addresses(mail.to)],
    ['Cc', addresses(mail.cc)],
    ['Date', mail.date?.toISOString()],
  ].filter(([, value]) => value);
  return headers.map(([name, value]) => `${name}: ${value}`).join('\n');
}

/**
 * The header block of a message file without reading its body (Tika's plain-text output has
 * the body and attachments only). Reads at most 64 KiB; headers are decoded by mailparser.
 */
export async function readEmailHeaderBlock(filePath: string, inMemory?: Buffer): Promise<string> {
  const { bytes } = await readPrefix(filePath, 64 * 1024, inMemory);
  const end = bytes.indexOf('\r\n\r\n') >= 0 ? bytes.indexOf('\r\n\r\n') : bytes.indexOf('\n\n');
  const head = end >= 0 ? bytes.subarray(0, end) : bytes;
  return headerBlock(await (await mailParser())(Buffer.concat([head, Buffer.from('\r\n\r\n')])));
}

function addresses(value: AddressObject | AddressObject[] | undefined): string | undefined {
  if (!value) return undefined;
  return (Array.isArray(value) ? value : [value]).map((a) => a.text).join(', ');
}

/** One attachment as a titled section; its failure is noted in the text, never fatal. */
async function attachmentText(attachment: Attachment, ctx: ExtractorContext): Promise<string> {
  const name = attachment.filename ?? 'unnamed';
  const title = `--- Attachment: ${name} (${attachment.contentType}) ---`;
  if (ctx.options.depth + 1 > MAX_NESTING_DEPTH) return `${title}\n[not extracted: nested too deep]`;
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'docsync-mail-'));
  try {
    const file = path.join(dir, 'attachment');
    await fs.writeFile(file, attachment.content);
    const extracted = await ctx.extractNested(file, attachment.contentType, attachment.filename);
    return `${title}\n${extracted.text}`;
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    const kind = err instanceof DocsyncError ? 'not extracted' : 'unreadable';
    return `${title}\n[${kind}: ${(err as Error).message}]`;
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** Loaded on first use: mailparser costs tens of MB of worker RSS even when no e-mail arrives. */
async function mailParser() {
  return (await import('mailparser')).simpleParser;
}
