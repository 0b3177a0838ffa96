// The `requestTimeoutMs` config field every HTTP connector offers: one range and one default, so a
// deadline means the same for Dropbox, Drive and Gmail (what it bounds is said at each use).
import { z } from 'zod';

export const requestTimeoutMsField = () =>
  z
    .number()
    .int()
    .min(100)
    .max(10 * 60_000)
    .default(60_000);
