// Workflow entry point bundled for the worker.
export { syncUser } from './syncUser.js';
export { retrieveDoc } from './retrieveDoc.js';
export { scheduledSync } from './scheduledSync.js';
