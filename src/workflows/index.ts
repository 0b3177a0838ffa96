// Workflow entry point bundled for the worker.
export { syncUser } from './sync-user.js';
export { retrieveDoc } from './retrieve-doc.js';
export { scheduledSync } from './scheduled-sync.js';
export { watchChannels } from './watch-channels.js';
