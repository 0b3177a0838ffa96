// Binds the conformance kit to a real Temporal + Postgres through the test harness (the same
// engine plugin authors get from `startConformanceEnv`).
import type { ConformanceEngine } from '../../src/testing/kit.js';
import { conformanceEngine } from '../../src/testing/engine.js';
import type { Harness } from './harness.js';

export function harnessEngine(h: Harness): ConformanceEngine {
  return conformanceEngine(h);
}
