#!/usr/bin/env node
// Launcher for the `docsync` CLI. Production runs the compiled CLI (dist/, `npm run build`) on plain
// Node; development runs the TypeScript sources through tsx. The rule, one line each:
//   NODE_ENV=production          -> dist/ (never tsx; no build is an error, not a fallback)
//   tsx installed and src/ here  -> the sources (a dist/ from an earlier build is ignored, so it can
//                                   never shadow edited code)
//   otherwise (npm ci --omit=dev, the image) -> dist/
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/cli/main.js', import.meta.url);
const source = new URL('../src/cli/main.ts', import.meta.url);

async function tsxRegister() {
  try {
    return (await import('tsx/esm/api')).register;
  } catch {
    return undefined; // production dependencies only
  }
}

const register = process.env.NODE_ENV === 'production' || !existsSync(source) ? undefined : await tsxRegister();
if (register) {
  register();
  await import(source.href);
} else if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  console.error('docsync: no build found (dist/cli/main.js): run `npm run build` (or install dev dependencies to run from src/)');
  process.exit(1);
}
