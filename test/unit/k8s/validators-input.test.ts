/** The shared validators added for synth-time checks: each refuses what the API server refuses, and says what it is. */
import { ApiObject, Chart, Testing } from 'cdk8s';
import { FlagError } from '../../../lib/api/flags.js';
import { controllerImage } from '../../../lib/k8s/image.js';
import { claimObjectNames } from '../../../lib/k8s/unique-objects.js';
import { describeValue, quote, ValidationError } from '../../../lib/k8s/validation.js';
import {
  checkEnvVars, dns1035LabelReason, isHostName, itemPathReason, quantityReason, quantityValue, statefulSetNameReason, urlCredentialsReason,
} from '../../../lib/k8s/validators.js';

describe('values in messages', () => {
  it('are described by what they are, quoted once, cut at 80 characters', () => {
    expect([NaN, undefined, null, 12n, [1], new Map(), 5, 'x', Infinity].map(describeValue))
      .toEqual(['NaN', 'undefined', 'null', 'a bigint 12n', 'a list', 'a Map', 'number 5', 'string "x"', 'Infinity']);
    expect(quote('a'.repeat(100))).toBe(`"${'a'.repeat(80)}"… (100 characters)`);
  });
});

describe('names', () => {
  it('Service names are DNS-1035 labels; StatefulSet names leave room for the revision hash', () => {
    expect(['a', 'a-1', 'a'.repeat(63)].map((n) => dns1035LabelReason(n))).toEqual([undefined, undefined, undefined]);
    for (const bad of ['1a', 'a.b', 'A', 'a'.repeat(64), '-a', '']) expect(dns1035LabelReason(bad)).toMatch(/is not a valid Service name \(DNS-1035 label/);
    expect(statefulSetNameReason('a'.repeat(52))).toBeUndefined();
    expect(statefulSetNameReason('a'.repeat(53))).toMatch(/at most 52, so that its pods' controller-revision-hash label fits in 63/);
  });

  it('host names are DNS names or IP addresses', () => {
    expect(['db', 'db.ns.svc', 'DB-1.example.com.', '10.0.0.1', '::1'].every(isHostName)).toBe(true);
    expect(['..', 'a..b', '-a', 'a-', '', 'a b', 'a'.repeat(64)].some(isHostName)).toBe(false);
  });

  it('item file names: relative, not the volume itself, not the kubelet\'s ..data', () => {
    expect(['ca.pem', 'd/f', '.hidden'].map(itemPathReason)).toEqual([undefined, undefined, undefined]);
    expect(itemPathReason('..data')).toMatch(/must not start with '\.\.'/);
    expect(itemPathReason('./')).toMatch(/names the volume's own directory/);
    expect(itemPathReason('/abs')).toMatch(/not a relative path/);
  });
});

describe('quantities', () => {
  it('parse, compare and refuse zero where it means nothing', () => {
    expect([quantityValue('500m'), quantityValue('1Gi'), quantityValue('1e3'), quantityValue('abc')]).toEqual([0.5, 2 ** 30, 1000, undefined]);
    expect(quantityReason('abc')).toBe('"abc" is not a Kubernetes quantity such as "500m", "10Gi" or "1.5"');
    expect(quantityReason('0')).toBeUndefined();
    expect(quantityReason('0Gi', { positive: true })).toBe('"0Gi" must be greater than zero');
    expect(quantityReason(5)).toMatch(/^number 5 is not a Kubernetes quantity/);
  });
});

describe('env maps and URLs', () => {
  it('checkEnvVars: a plain object of valid names and strings; __proto__ kept', () => {
    const env = checkEnvVars('s', 'env', JSON.parse('{"__proto__":"p","A":"a"}'));
    expect(Object.keys(env)).toEqual(['__proto__', 'A']);
    expect(() => checkEnvVars('s', 'env', new Map())).toThrow('s: env: must be an object of name: value strings, not a Map');
    expect(() => checkEnvVars('s', 'env', { A: 1 })).toThrow('s: env.A: must be a string, not number 1');
    expect(() => checkEnvVars('s', 'env', { '..x': 'v' })).toThrow(/s: env\.\.\.x: "\.\.x" is not a valid environment variable name/);
  });

  it('URLs with credentials are named without echoing the password', () => {
    expect(urlCredentialsReason('https://host/p?u=a@b', 'a Secret')).toBeUndefined();
    expect(urlCredentialsReason('https://u:secret@host', 'a Secret')).toBe('"https://***@host" carries credentials, which would be written in plain text into manifests; put them in a Secret');
  });
});

describe('argument types at the edges', () => {
  it('controllerImage refuses non-string fields with a ValidationError', () => {
    expect(() => controllerImage({ registry: 5 as never }, 'c', 'image')).toThrow('c: image.registry: must be a string, not number 5');
    expect(() => controllerImage(null as never, 'c', 'image')).toThrow(ValidationError);
  });

  it('a FlagError is a ValidationError that reads like the command line', () => {
    const e = new FlagError('interval', 'is not a duration');
    expect(e).toBeInstanceOf(ValidationError);
    expect([e.message, e.field]).toEqual(['--interval: is not a duration', '--interval']);
  });
});

describe('claimObjectNames', () => {
  it('refuses one object from two constructs, naming both; cluster-scoped kinds clash across namespaces', () => {
    const app = Testing.app();
    const a = new Chart(app, 'a', { namespace: 'one' });
    const b = new Chart(app, 'b', { namespace: 'two' });
    new ApiObject(a, 'cm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } });
    new ApiObject(b, 'cm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } });
    claimObjectNames(a, 'A');
    claimObjectNames(b, 'B'); // another namespace: fine
    claimObjectNames(a, 'A'); // again: idempotent
    new ApiObject(a, 'role', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'r' } });
    new ApiObject(b, 'role', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'r' } });
    claimObjectNames(a, 'A');
    expect(() => claimObjectNames(b, 'B')).toThrow('B: name: ClusterRole.rbac.authorization.k8s.io "r" would be synthesized twice: by b/role and by a/role; give one of them another name or namespace');
  });
});
