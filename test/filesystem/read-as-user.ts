// Child process for the permission scenarios (tests run as root, who can read anything):
// once its modules are loaded it drops to `nobody` (so the checkout itself need not be readable
// by nobody), then runs one full listing and one retrieveData and prints JSON.
//   node --import tsx test/filesystem/read-as-user.ts <root> <externalId>
import { FilesystemConnector } from '../../src/connectors/filesystem/connector.js';
import { filesystemContext, fullWalk, idsOf } from './context.js';

const NOBODY = 65534;
if (process.getuid?.() === 0) {
  process.setgid!(NOBODY);
  process.setuid!(NOBODY);
}

const [root, externalId] = process.argv.slice(2);
const { ctx, warnings } = filesystemContext({ root });
const { pages } = await fullWalk(ctx);
let error: { name: string; message: string } | undefined;
try {
  const data = await new FilesystemConnector().retrieveData(ctx, { externalId, title: externalId, version: 'x' });
  (data.body as NodeJS.ReadableStream).resume();
} catch (err) {
  error = { name: (err as Error).name, message: (err as Error).message };
}
console.log(JSON.stringify({ uid: process.getuid?.(), listed: idsOf(pages), warnings, error }));
