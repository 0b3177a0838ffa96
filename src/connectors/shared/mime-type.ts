// Guesses a MIME type from a file name's extension, for sources that do not report one
// (Dropbox) or report a generic one (application/octet-stream).
import path from 'node:path';

export const DEFAULT_MIME_TYPE = 'application/octet-stream';

const BY_EXTENSION: Record<string, string> = {
  txt: 'text/plain', text: 'text/plain', log: 'text/plain', md: 'text/markdown', markdown: 'text/markdown',
  csv: 'text/csv', tsv: 'text/tab-separated-values', html: 'text/html', htm: 'text/html', css: 'text/css',
  xml: 'application/xml', json: 'application/json', yaml: 'application/yaml', yml: 'application/yaml',
  js: 'text/javascript', mjs: 'text/javascript', ts: 'text/plain', py: 'text/x-python', rtf: 'application/rtf',
  pdf: 'application/pdf', epub: 'application/epub+zip', eml: 'message/rfc822', msg: 'application/vnd.ms-outlook',
  doc: 'application/msword',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xls: 'application/vnd.ms-excel',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  ppt: 'application/vnd.ms-powerpoint',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  odt: 'application/vnd.oasis.opendocument.text', ods: 'application/vnd.oasis.opendocument.spreadsheet',
  odp: 'application/vnd.oasis.opendocument.presentation', pages: 'application/vnd.apple.pages',
  numbers: 'application/vnd.apple.numbers', key: 'application/vnd.apple.keynote',
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp',
  svg: 'image/svg+xml', bmp: 'image/bmp', tif: 'image/tiff', tiff: 'image/tiff', heic: 'image/heic',
  mp3: 'audio/mpeg', wav: 'audio/wav', m4a: 'audio/mp4', mp4: 'video/mp4', mov: 'video/quicktime',
  zip: 'application/zip', gz: 'application/gzip', tar: 'application/x-tar', '7z': 'application/x-7z-compressed',
  paper: 'application/vnd.dropbox.paper', gdoc: 'application/vnd.google-apps.document',
  gsheet: 'application/vnd.google-apps.spreadsheet', gslides: 'application/vnd.google-apps.presentation',
};

export function guessMimeType(fileName: string, fallback: string = DEFAULT_MIME_TYPE): string {
  const ext = path.posix.extname(fileName).slice(1).toLowerCase();
  return (ext && BY_EXTENSION[ext]) || fallback;
}
