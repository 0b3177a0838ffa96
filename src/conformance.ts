// `docsync/conformance`: the conformance kit every connector must pass, and an engine that runs it
// on a real Temporal + Postgres (started on the fly, or taken from TEMPORAL_ADDRESS / DATABASE_URL).
export * from './testing/kit.js';
export { conformanceEngine, startConformanceEnv, type ConformanceEnv, type ConformanceEnvOptions } from './testing/engine.js';
