// docsync's package entry point for connector plugin authors: the connector contract, its typed
// errors and the registry. The conformance kit is `docsync/conformance` (it starts dev services).
export * from './core/contract.js';
export * from './core/errors.js';
export { isConnector, loadConnector, registerConnector, type ConnectorFactory } from './connectors/registry.js';
export { listTwoPhase, ExpiredCursorError, type TwoPhasePosition, type TwoPhaseSource } from './connectors/shared/two-phase-lister.js';
