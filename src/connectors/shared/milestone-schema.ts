// Pieces of connector milestone schemas (Connector.milestoneSchema, parsed by the activity): a
// milestone that matches none of a connector's shapes is not an error but a cursor to give up on.
import { z } from 'zod';

/** What a schema's last branch turns an unusable cursor into: the listing starts over with a reset. */
export const unreadableMilestone = z.unknown().transform(() => ({ unreadable: true as const }));
export type UnreadableMilestone = z.output<typeof unreadableMilestone>;

/** A non-empty string cursor (page token, history id, Dropbox cursor). */
export const cursorToken = z.string().min(1);
