// Configuration of the filesystem connector, validated before any sync (docs/ARCHITECTURE.md, the connector contract).
import path from 'node:path';
import { z } from 'zod';

export const filesystemConfigSchema = z.object({
  /**
   * Absolute path of a directory: every document lives under it. Whether it exists is not config:
   * `docsync connect` pings it, and a listing that finds it gone (deleted, unmounted) fails that
   * cycle as an outage the sync waits out (source-root.ts), where a ConfigError would end the sync.
   */
  root: z.string().refine((root) => path.isAbsolute(root), 'must be an absolute path'),
  pageSize: z.number().int().min(1).max(10_000).default(500),
  /**
   * Glob patterns (picomatch, dotfiles included) on paths relative to root. A pattern without a
   * slash matches the base name anywhere ("*.md"), like .gitignore. Only matching files are listed.
   */
  include: z.array(z.string().min(1)).optional(),
  /** Excluded files; a directory that matches ("node_modules", "build/**") is not entered at all. */
  exclude: z.array(z.string().min(1)).optional(),
  /** Follow symbolic links (loops are detected and skipped). Off: links are ignored. */
  followSymlinks: z.boolean().default(false),
});

export type FilesystemConfig = z.infer<typeof filesystemConfigSchema>;
