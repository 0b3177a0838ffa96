// Google Drive connector config: Google credentials (user OAuth or service account), what to
// list, and test-only endpoints.
import { z } from 'zod';
import { googleConfigSchema } from '../google/api.js';

export const DRIVE_MAX_PAGE_SIZE = 1000;
export const DRIVE_SCOPES = ['https://www.googleapis.com/auth/drive.readonly'];

export const gdriveConfigSchema = googleConfigSchema({
  /** files.list / changes.list page size (Drive allows up to 1000). */
  pageSize: z.number().int().min(1).max(DRIVE_MAX_PAGE_SIZE).default(500),
  /** Also list files on shared drives the user can see. */
  includeSharedDrives: z.boolean().default(false),
  /** Also list files others shared with the user that sit in none of the user's folders (path under `/Shared with me/`). */
  includeSharedWithMe: z.boolean().default(false),
  /** Globs on the resolved path (`/Reports/**`, `**\/*.pdf`); a file passes if it matches some include and no exclude. */
  include: z.array(z.string().min(1)).optional(),
  exclude: z.array(z.string().min(1)).optional(),
});

export type GdriveConfig = z.output<typeof gdriveConfigSchema>;
export type GdriveConfigInput = z.input<typeof gdriveConfigSchema>;
