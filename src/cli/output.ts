// How the CLI writes to its streams like a Unix tool: a closed pipe (`docsync changes | head -1`)
// ends the command quietly with exit 0, listings say on stderr when they were cut short, and tables
// learn the terminal's width (none when piped, so scripts get one stable layout).
import { readFileSync } from 'node:fs';

/** A reader that went away (head, less quitting) is not an error: stop writing and exit 0. */
export function exitQuietlyOnClosedPipe(stream: NodeJS.WriteStream = process.stdout): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

/** Columns of the terminal stdout is attached to; undefined when piped or redirected. */
export function terminalWidth(stream: NodeJS.WriteStream = process.stdout): number | undefined {
  return stream.isTTY && stream.columns > 0 ? stream.columns : undefined;
}

/** On stderr, so the listing on stdout stays parseable: what was left out and how to see it. */
export function noteTruncated(shown: number, total: number | undefined, hint: string): void {
  if (total !== undefined && shown >= total) return;
  process.stderr.write(`showing ${shown} of ${total ?? `more than ${shown}`} (${hint})\n`);
}

/** The version in the nearest package.json above this file (src/cli/, dist/cli/ or a build elsewhere). */
export function packageVersion(): string {
  for (let up = '../'; up.length < 30; up += '../') {
    try {
      return (JSON.parse(readFileSync(new URL(`${up}package.json`, import.meta.url), 'utf8')) as { version: string }).version;
    } catch {
      // not at this level: look one folder higher
    }
  }
  return 'unknown';
}

/** Cuts a line to `width` columns with an ellipsis (status lines are ASCII apart from the ellipsis). */
export function fitLine(line: string, width: number): string {
  return line.length <= width ? line : `${line.slice(0, Math.max(0, width - 1))}…`;
}
