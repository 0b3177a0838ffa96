// Configuration of the filesystem connector, validated before any sync (docs/ARCHITECTURE.md, the connector contract).
import { statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

export const filesystemConfigSchema = z.object({
  /** Absolute path of an existing directory: every document lives under it. */
  root: z.string().superRefine((root, ctx) => {
    if (!path.isAbsolute(root)) {
      ctx.addIssue({ code: 'custom', message: 'must be an absolute path' });
      return;
    }
    const stat = statSync(root, { throwIfNoEntry: false });
    // The path is named (it is not a secret): "must be an existing directory" alone hides a typo.
    if (!stat?.isDirectory()) {
      ctx.addIssue({
        code: 'custom',
        message: `must be an existing directory (${root} ${stat ? 'is not a directory' : 'does not exist'})`,
      });
    }
  }),
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
