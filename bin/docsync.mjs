#!/usr/bin/env node
// Launcher for the `docsync` CLI: the compiled CLI (dist/, `npm run build`) when present, so an
// install needs production dependencies only; in a dev checkout without a build, the TypeScript
// sources through tsx (a dev dependency).
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/cli/main.js', import.meta.url);
if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    console.error('docsync: no build found (dist/cli/main.js) and tsx is not installed: run `npm run build`');
    process.exit(1);
  }
  register();
  await import('../src/cli/main.ts');
}
