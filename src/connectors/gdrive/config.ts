// Google Drive connector config: Google credentials (user OAuth or service account), what to
// list, and test-only endpoints.
import { z } from 'zod';
import { checkGoogleAuth, googleAuthShape } from '../google/auth.js';

export const DRIVE_MAX_PAGE_SIZE = 1000;
export const DRIVE_SCOPES = ['https://www.googleapis.com/auth/drive.readonly'];

export const gdriveConfigSchema = z
  .object({
    ...googleAuthShape,
    /** files.list / changes.list page size (Drive allows up to 1000). */
    pageSize: z.number().int().min(1).max(DRIVE_MAX_PAGE_SIZE).default(500),
    /** Also list files on shared drives the user can see. */
    includeSharedDrives: z.boolean().default(false),
    /** Deadline for metadata calls (downloads are bounded by the activity's signal). */
    requestTimeoutMs: z.number().int().min(100).max(10 * 60_000).default(60_000),
  })
  .superRefine(checkGoogleAuth);

export type GdriveConfig = z.output<typeof gdriveConfigSchema>;
export type GdriveConfigInput = z.input<typeof gdriveConfigSchema>;
