/**
 * The NetworkPolicy evaluator of test/fixtures, against the semantics of the Kubernetes API
 * reference (networking.k8s.io/v1 NetworkPolicySpec): isolation, peers, ports, policy types.
 */
import { allows, cidrContains, isSelected, policyTypes, selectorMatches, type NetworkPolicyObject } from '../../fixtures/network-policy-evaluator.js';

const web = { namespace: 'shop', labels: { app: 'web' } };
const db = { namespace: 'shop', labels: { app: 'db' } };
const other = { namespace: 'tools', labels: { app: 'web' } };
const outside = { ip: '203.0.113.7' };
const policy = (namespace: string, spec: NetworkPolicyObject['spec']): NetworkPolicyObject => ({ metadata: { name: 'p', namespace }, spec });

describe('NetworkPolicy evaluator', () => {
  it('allows everything when no policy selects either side', () => {
    expect(allows([], web, db, 5432)).toBe(true);
    expect(allows([policy('shop', { podSelector: { matchLabels: { app: 'other' } }, policyTypes: ['Ingress', 'Egress'] })], web, db, 5432)).toBe(true);
  });

  it('isolates a selected pod: no rule, nothing in', () => {
    const deny = [policy('shop', { podSelector: { matchLabels: { app: 'db' } }, policyTypes: ['Ingress'] })];
    expect(allows(deny, web, db, 5432)).toBe(false);
    // Egress of db is not isolated by an Ingress-only policy.
    expect(allows(deny, db, web, 80)).toBe(true);
    expect(isSelected(deny, db, 'Ingress')).toBe(true);
    expect(isSelected(deny, db, 'Egress')).toBe(false);
  });

  it('a podSelector peer alone is the policy\'s namespace only', () => {
    const p = [policy('shop', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ port: 5432 }] }] })];
    expect(allows(p, web, db, 5432)).toBe(true);
    expect(allows(p, other, db, 5432)).toBe(false);
    expect(allows(p, web, db, 5433)).toBe(false);
    expect(allows(p, web, db, 5432, 'UDP')).toBe(false);
  });

  it('namespaceSelector and podSelector in one peer are ANDed; in two peers ORed', () => {
    const and = [policy('shop', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'tools' } }, podSelector: { matchLabels: { app: 'web' } } }] }] })];
    expect(allows(and, other, db, 1)).toBe(true);
    expect(allows(and, web, db, 1)).toBe(false);
    expect(allows(and, { namespace: 'tools', labels: { app: 'cli' } }, db, 1)).toBe(false);
    const or = [policy('shop', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'tools' } } }, { podSelector: { matchLabels: { app: 'web' } } }] }] })];
    expect(allows(or, { namespace: 'tools', labels: { app: 'cli' } }, db, 1)).toBe(true);
    expect(allows(or, web, db, 1)).toBe(true);
    expect(allows(or, { namespace: 'shop', labels: { app: 'cli' } }, db, 1)).toBe(false);
  });

  it('an empty namespaceSelector is every namespace', () => {
    const p = [policy('shop', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { app: 'web' } } }] }] })];
    expect(allows(p, other, db, 1)).toBe(true);
    expect(allows(p, { namespace: 'x', labels: {} }, db, 1)).toBe(false);
  });

  it('egress needs the source\'s policy and ingress the destination\'s', () => {
    const p = [
      policy('shop', { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Egress'], egress: [{ to: [{ podSelector: { matchLabels: { app: 'db' } } }], ports: [{ port: 5432 }] }] }),
      policy('shop', { podSelector: { matchLabels: { app: 'db' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ port: 5432 }] }] }),
    ];
    expect(allows(p, web, db, 5432)).toBe(true);
    expect(allows(p, web, outside, 443)).toBe(false);
    expect(allows(p, outside, db, 5432)).toBe(false);
    expect(allows(p, outside, web, 80)).toBe(true);
  });

  it('ipBlock matches addresses, with except, and not pods', () => {
    const p = [policy('shop', { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '203.0.113.0/24', except: ['203.0.113.128/25'] } }] }] })];
    expect(allows(p, web, { ip: '203.0.113.7' }, 443)).toBe(true);
    expect(allows(p, web, { ip: '203.0.113.200' }, 443)).toBe(false);
    expect(allows(p, web, { ip: '198.51.100.1' }, 443)).toBe(false);
    expect(allows(p, web, db, 443)).toBe(false);
  });

  it('ports: protocol defaults to TCP, endPort is a range, no ports is every port', () => {
    const p = [policy('shop', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ ports: [{ port: 53, protocol: 'UDP' }, { port: 8000, endPort: 8010 }] }] })];
    expect(allows(p, web, db, 53, 'UDP')).toBe(true);
    expect(allows(p, web, db, 53, 'TCP')).toBe(false);
    expect(allows(p, web, db, 8005)).toBe(true);
    expect(allows(p, web, db, 8011)).toBe(false);
    const all = [policy('shop', { podSelector: {}, ingress: [{ from: [{ podSelector: {} }] }] })];
    expect(allows(all, web, db, 65535, 'SCTP')).toBe(true);
    expect(() => allows([policy('shop', { podSelector: {}, ingress: [{ ports: [{ port: 'http' }] }] })], web, db, 80)).toThrow(/named port/);
  });

  it('policyTypes default: Ingress, and Egress only with egress rules', () => {
    expect(policyTypes(policy('a', { podSelector: {} }))).toEqual(['Ingress']);
    expect(policyTypes(policy('a', { podSelector: {}, egress: [] }))).toEqual(['Ingress', 'Egress']);
  });

  it('selectors: matchExpressions', () => {
    const s = { matchExpressions: [{ key: 'tier', operator: 'In' as const, values: ['a', 'b'] }, { key: 'legacy', operator: 'DoesNotExist' as const }] };
    expect(selectorMatches(s, { tier: 'a' })).toBe(true);
    expect(selectorMatches(s, { tier: 'c' })).toBe(false);
    expect(selectorMatches(s, { tier: 'a', legacy: '1' })).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: 'x', operator: 'NotIn', values: ['1'] }] }, {})).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'x', operator: 'Exists' }] }, {})).toBe(false);
  });

  it('CIDRs, IPv4 and IPv6', () => {
    expect(cidrContains('0.0.0.0/0', '8.8.8.8')).toBe(true);
    expect(cidrContains('10.0.0.0/8', '11.0.0.1')).toBe(false);
    expect(cidrContains('::/0', '2001:db8::1')).toBe(true);
    expect(cidrContains('::/0', '8.8.8.8')).toBe(false);
    expect(cidrContains('2001:db8::/32', '2001:db8:ffff::1')).toBe(true);
    expect(cidrContains('2001:db8::/32', '2001:db9::1')).toBe(false);
    expect(cidrContains('10.1.2.3/32', '10.1.2.3')).toBe(true);
  });
});
