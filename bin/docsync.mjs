#!/usr/bin/env node
// Launcher for the `docsync` CLI: registers tsx so the TypeScript sources run directly.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
