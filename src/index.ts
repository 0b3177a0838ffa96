// docsync's package entry point: for connector plugin authors, the connector contract, its typed
// errors and the registry (the conformance kit is `docsync/conformance`: it starts dev services);
// for downstream consumers, the change feed readers (bring your own `pg.Pool`; docs/SCHEMA.md).
export * from './core/contract.js';
export * from './core/errors.js';
export { isConnector, loadConnector, registerConnector, type ConnectorFactory } from './connectors/registry.js';
export { listTwoPhase, ExpiredCursorError, type TwoPhasePosition, type TwoPhaseSource } from './connectors/shared/two-phase-lister.js';
export { readChanges, latestChangeSeq, type Change, type ChangeKind, type ChangeQuery } from './store/changes.js';
export { followChanges, type FollowOptions } from './store/follow-changes.js';
export { acknowledgeChanges, consumerPosition, listConsumers, type ConsumerRow } from './store/consumers.js';
