// Built-in connectors are loaded once per process (no import or construction per activity call);
// a registered factory is still called every time, since a plugin may keep state in its instance.
import { describe, expect, it } from 'vitest';
import { loadConnector, registerConnector } from '../../../src/connectors/registry.js';
import { SampleConnector } from '../../../src/connectors/sample/connector.js';

describe('connector registry', () => {
  it('given a built-in name, every load returns the same instance', async () => {
    const first = await loadConnector('filesystem');
    expect(await loadConnector('filesystem')).toBe(first);
    expect(first.name).toBe('filesystem');
  });

  it('given a registered factory, each load builds a new instance', async () => {
    registerConnector('pq3-plugin', () => new SampleConnector());
    const a = await loadConnector('pq3-plugin');
    const b = await loadConnector('pq3-plugin');
    expect(a).toBeInstanceOf(SampleConnector);
    expect(b).not.toBe(a);
  });
});
