// `node --import tsx --import ./test/workers/module-log.mjs …`: records every module the process
// loads into the file named by DOCSYNC_MODULE_LOG, so a test can say what a worker role imported.
// ESM loads (src/ under tsx, packages imported from ESM) are seen by a loader hook as they load;
// CommonJS files required from CommonJS never reach that hook in Node 20, so the require cache is
// appended at exit as well.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';

const file = process.env.DOCSYNC_MODULE_LOG;
if (file) {
  register('./module-log-loader.mjs', import.meta.url, { data: { file } });
  const cache = createRequire(import.meta.url).cache;
  process.on('exit', () => {
    const required = Object.keys(cache).map((p) => pathToFileURL(p).href);
    appendFileSync(file, `${required.join('\n')}\n`);
  });
}
