/** WAO's names: `<template>-<node>` NodeConfigs, valid and deterministic. */
import { isDns1123Subdomain } from '../../../lib/k8s/names.js';
import { nodeConfigName, WAO_API_VERSION, WAO_DEFAULT_NAMESPACE, WAO_GROUP } from '../../../lib/api/wao/index.js';

describe('nodeConfigName', () => {
  it('is <template>-<node>, as the original names them', () => {
    expect(nodeConfigName('redfish-enabled-nodes', 'worker-0')).toBe('redfish-enabled-nodes-worker-0');
    expect(nodeConfigName('t', 'ip-10-0-0-1.ec2.internal')).toBe('t-ip-10-0-0-1.ec2.internal');
  });

  it('cuts a name longer than 253 characters and ends it with a hash, deterministically', () => {
    const template = 'a'.repeat(200);
    const node = `${'b'.repeat(60)}.example.org`;
    const name = nodeConfigName(template, node);
    expect(name.length).toBeLessThanOrEqual(253);
    expect(isDns1123Subdomain(name)).toBe(true);
    expect(name).toMatch(/^a{200}-b+-[0-9a-f]{10}$/);
    expect(nodeConfigName(template, node)).toBe(name);
    expect(nodeConfigName(template, `${'b'.repeat(60)}.example.com`)).not.toBe(name);
  });

  it('cleans what is not a DNS-1123 subdomain (and keeps pairs distinct with a hash)', () => {
    for (const [t, n] of [
      ['Upper', 'worker-0'],
      ['t', 'Node_With_Underscores'],
      ['t.', '.n'],
      ['-', '-'],
      ['t', 'a..b'],
    ]) {
      const name = nodeConfigName(t, n);
      expect([t, n, name, isDns1123Subdomain(name)]).toEqual([t, n, name, true]);
      expect(name).toMatch(/-[0-9a-f]{10}$/);
    }
    expect(nodeConfigName('Upper', 'worker-0')).toMatch(/^upper-worker-0-/);
    expect(nodeConfigName('UPPER', 'worker-0')).not.toBe(nodeConfigName('upper', 'Worker-0'));
  });
});

it('the original\'s group and namespace', () => {
  expect([WAO_GROUP, WAO_API_VERSION, WAO_DEFAULT_NAMESPACE]).toEqual(['wao.bitmedia.co.jp', 'wao.bitmedia.co.jp/v1beta1', 'wao-system']);
});
