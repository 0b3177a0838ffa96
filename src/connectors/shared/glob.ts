// Include/exclude filters on source paths, for every connector that has paths: picomatch globs
// (`**` crosses folders, `*` and `?` stay in one segment, `{a,b}` alternates, dotfiles match).
import picomatch from 'picomatch';

export interface GlobOptions {
  /** Match case-insensitively (Dropbox paths are case-insensitive). */
  nocase?: boolean;
  /** A pattern without a slash matches the base name anywhere ("*.md"), like .gitignore. */
  basename?: boolean;
}

export interface PathFilter {
  /** true when a file passes: it matches some include (or there are none) and no exclude. */
  (path: string): boolean;
  /** true when a folder matches an exclude, so a walk need not enter it. */
  excludes(path: string): boolean;
}

export function createPathFilter(include?: readonly string[], exclude?: readonly string[], options: GlobOptions = {}): PathFilter {
  const picoOptions = { dot: true, nocase: options.nocase ?? false, basename: options.basename ?? false };
  const included = include?.length ? picomatch([...include], picoOptions) : () => true;
  const excluded = exclude?.length ? picomatch([...exclude], picoOptions) : () => false;
  return Object.assign((path: string) => included(path) && !excluded(path), { excludes: (path: string) => excluded(path) });
}
