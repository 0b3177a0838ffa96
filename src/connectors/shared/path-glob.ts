// Include/exclude filters on source paths with glob patterns: `**` crosses folders, `*`
// and `?` stay within one path segment, `{a,b}` alternates. Matching ignores case, since
// the sources we sync (Dropbox, Drive folders) treat paths case-insensitively.

export interface PathFilter {
  /** true when the path passes: matches some include (or there are none) and no exclude. */
  (path: string): boolean;
}

export function globToRegExp(pattern: string): RegExp {
  let re = '';
  let i = 0;
  let inGroup = 0;
  while (i < pattern.length) {
    const c = pattern[i];
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        const slashAfter = pattern[i + 2] === '/';
        re += slashAfter ? '(?:.*/)?' : '.*';
        i += slashAfter ? 3 : 2;
        continue;
      }
      re += '[^/]*';
    } else if (c === '?') {
      re += '[^/]';
    } else if (c === '{') {
      inGroup++;
      re += '(?:';
    } else if (c === '}' && inGroup > 0) {
      inGroup--;
      re += ')';
    } else if (c === ',' && inGroup > 0) {
      re += '|';
    } else {
      re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
    i++;
  }
  return new RegExp(`^${re}$`, 'i');
}

export function createPathFilter(include?: readonly string[], exclude?: readonly string[]): PathFilter {
  const includes = (include ?? []).map(globToRegExp);
  const excludes = (exclude ?? []).map(globToRegExp);
  return (path: string) =>
    (includes.length === 0 || includes.some((re) => re.test(path))) && !excludes.some((re) => re.test(path));
}
