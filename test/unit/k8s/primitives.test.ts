/** The shared primitives of lib/k8s: validators, JSON pointers, sorting, namespaces, security and resources. */
import { App, Chart } from 'cdk8s';
import { pointer, pointerSegment, pointerSegments, valueAtPointer } from '../../../lib/k8s/json-pointer.js';
import { controllerImage } from '../../../lib/k8s/image.js';
import { resolveNamespace } from '../../../lib/k8s/namespace.js';
import { plainResources, resourceRequirements, scratchVolume } from '../../../lib/k8s/resources.js';
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from '../../../lib/k8s/security.js';
import { by, compareStrings } from '../../../lib/k8s/sort.js';
import { ValidationError } from '../../../lib/k8s/validation.js';
import {
  absolutePathReason,
  checkAbsolutePath,
  checkConfigKey,
  checkDns1123Label,
  checkDns1123Subdomain,
  checkImage,
  checkInteger,
  checkPort,
  checkPositiveInteger,
  FIRST_UNPRIVILEGED_PORT,
  isConfigKey,
  isHostName,
  isHttpUrl,
  isImageReference,
  labelKeyReason,
  labelValueReason,
  normalizeAbsolutePath,
  urlHasCredentials,
} from '../../../lib/k8s/validators.js';
import { errorOf } from '../../fixtures/validation.js';

describe('validators', () => {
  it('checks return the value, and throw one error shape naming source, field and value', () => {
    expect(checkDns1123Label('app/c', 'name', 'web')).toBe('web');
    const err = errorOf(() => checkDns1123Label('app/c', 'name', 'Web'));
    expect(err.message).toBe(`app/c: name: "Web" is not a DNS-1123 label (lower-case alphanumerics and '-', at most 63 characters)`);
    expect([err.source, err.field, err.value]).toEqual(['app/c', 'name', 'Web']);
  });

  it.each([
    ['a', true], ['a-b', true], ['a'.repeat(63), true], ['a'.repeat(64), false], ['-a', false], ['a.b', false], ['A', false], ['', false],
  ])('DNS-1123 label %s: %s', (s, ok) => {
    if (ok) expect(checkDns1123Label('s', 'f', s)).toBe(s);
    else expect(() => checkDns1123Label('s', 'f', s)).toThrow(ValidationError);
  });

  it('DNS-1123 subdomains, worded by kind', () => {
    expect(checkDns1123Subdomain('s', 'f', 'a.b-c')).toBe('a.b-c');
    expect(errorOf(() => checkDns1123Subdomain('s', 'secret', 'A_b', 'Secret')).reason).toMatch(/^"A_b" is not a valid Secret name \(DNS-1123 subdomain/);
    expect(errorOf(() => checkDns1123Subdomain('s', 'f', `${'a'.repeat(250)}.bcd`)).reason).toMatch(/is not a valid Kubernetes object name/);
  });

  it('label keys and values', () => {
    expect(labelKeyReason('app.kubernetes.io/name')).toBeUndefined();
    expect(labelKeyReason('a b')).toBe('"a b" is not a valid label key');
    expect(labelKeyReason('Bad_Prefix/x', 'annotation')).toBe('"Bad_Prefix/x" is not a valid annotation key');
    expect(labelValueReason('')).toBeUndefined();
    expect(labelValueReason('-x')).toBe('"-x" is not a valid label value');
  });

  it('ConfigMap and Secret keys', () => {
    for (const k of ['a', 'tls.crt', '.dot', '_x-1']) expect(isConfigKey(k)).toBe(true);
    for (const k of ['', 'a/b', 'a b', 'x'.repeat(254)]) expect(isConfigKey(k)).toBe(false);
    expect(errorOf(() => checkConfigKey('s', 'key', 'a/b')).reason).toBe(`"a/b" is not a valid ConfigMap/Secret key (alphanumerics, '-', '_', '.', at most 253 characters)`);
  });

  it('absolute paths: checked, then normalized one way', () => {
    expect(absolutePathReason('/a/b')).toBeUndefined();
    for (const p of ['/a/../b', '/a:b']) expect(absolutePathReason(p)).toBe(`"${p}" is not an absolute path without ':' or '..'`);
    for (const p of ['a/b', '']) expect(absolutePathReason(p)).toBe(`"${p}" is not an absolute path (it must start with '/')`);
    expect(normalizeAbsolutePath('/amqp/.')).toBe('/amqp');
    expect(normalizeAbsolutePath('/x/./y')).toBe('/x/y');
    expect(normalizeAbsolutePath('/./')).toBe('/');
    expect(normalizeAbsolutePath('/data//certs/')).toBe('/data/certs');
    expect(normalizeAbsolutePath('//')).toBe('/');
    expect(checkAbsolutePath('s', 'mountPath', '/a//b/')).toBe('/a/b');
  });

  it.each([
    'nginx', 'nginx:1.27', 'library/nginx:1.27-alpine', 'ghcr.io/acme/platform-controllers:0.1.0', 'localhost:5000/a/b_c__d:v1',
    `quay.io/x/y@sha256:${'a'.repeat(64)}`, `x:1@sha256:${'0'.repeat(64)}`, 'dockerhubaneo/armonik_control:0.37.2', '[::1]:5000/x',
  ])('image reference %s', (ref) => {
    expect(isImageReference(ref)).toBe(true);
    expect(checkImage('s', 'image', ref)).toBe(ref);
  });

  it.each(['', 'bad image', 'Nginx', 'nginx:', 'nginx:-x', 'a//b', 'x@sha256:abc', `${'a'.repeat(256)}:1`, 'ghcr.io/ACME/x'])('not an image reference: %j', (ref) => {
    const shown = ref.length > 80 ? `${JSON.stringify(ref.slice(0, 80))}… (${ref.length} characters)` : JSON.stringify(ref);
    expect(errorOf(() => checkImage('s', 'image', ref)).message).toBe(`s: image: ${shown} is not an image reference ([registry/]repository[:tag][@digest])`);
  });

  it('integers, counts and ports, with the value in the message', () => {
    expect(checkInteger('s', 'n', 5, 1, 10)).toBe(5);
    expect(errorOf(() => checkInteger('s', 'n', 11, 1, 10)).reason).toBe('11 is not an integer from 1 to 10');
    expect(errorOf(() => checkInteger('s', 'n', 1.5, 0)).reason).toBe('1.5 is not a non-negative integer');
    expect(errorOf(() => checkInteger('s', 'n', 2, 3)).reason).toBe('2 is not an integer of at least 3');
    expect(errorOf(() => checkInteger('s', 'n', '5' as unknown as number, 1, 9)).reason).toBe('string "5" is not an integer from 1 to 9');
    expect(errorOf(() => checkInteger('s', 'n', NaN, 1)).reason).toBe('NaN is not a positive integer');
    expect(errorOf(() => checkInteger('s', 'n', undefined as unknown as number, 1)).reason).toBe('undefined is not a positive integer');
    expect(errorOf(() => checkPositiveInteger('s', 'replicas', 0)).message).toBe('s: replicas: 0 is not a positive integer');
    expect(checkPort('s', 'port', 443)).toBe(443);
    expect(errorOf(() => checkPort('s', 'port', 70000)).reason).toBe('70000 is not a TCP port');
    expect(errorOf(() => checkPort('s', 'metricsPort', 80, FIRST_UNPRIVILEGED_PORT)).reason).toBe('80 is not a port from 1024 to 65535 (the container runs as non-root)');
  });

  it('hosts and URLs', () => {
    for (const h of ['mq.example.com', '10.0.0.1', 'fd00::1']) expect(isHostName(h)).toBe(true);
    for (const h of ['', 'a b', 'a/b']) expect(isHostName(h)).toBe(false);
    expect(isHttpUrl('https://s3.eu-west-3.amazonaws.com')).toBe(true);
    expect(isHttpUrl('http://prometheus:9090/api')).toBe(true);
    expect(isHttpUrl('ftp://x')).toBe(false);
    expect(isHttpUrl('http://a b')).toBe(false);
    expect(urlHasCredentials('https://key:secret@minio')).toBe(true);
    expect(urlHasCredentials('https://minio/a@b')).toBe(false);
  });
});

describe('JSON pointers', () => {
  it('escape, build, split and resolve (RFC 6901)', () => {
    expect(pointerSegment('a/b~c')).toBe('a~1b~0c');
    expect(pointer('mount_secret', 'a/b', 0)).toBe('/mount_secret/a~1b/0');
    expect(pointerSegments('/mount_secret/a~1b/0')).toEqual(['mount_secret', 'a/b', '0']);
    expect(pointerSegments('')).toEqual([]);
    expect(pointerSegments('/~01')).toEqual(['~1']);
    expect(valueAtPointer({ a: { 'b/c': [1, 2] } }, '/a/b~1c/1')).toBe(2);
    expect(valueAtPointer({ a: 1 }, '/x/y')).toBeUndefined();
    expect(valueAtPointer({ a: 1 }, '')).toEqual({ a: 1 });
  });
});

describe('sorting', () => {
  it('compares by code unit, not by locale', () => {
    expect(['b', 'a', 'B', 'é', 'a'].sort(compareStrings)).toEqual(['B', 'a', 'a', 'b', 'é']);
    expect([{ name: 'y' }, { name: 'x' }].sort(by('name'))).toEqual([{ name: 'x' }, { name: 'y' }]);
    expect(compareStrings('a', 'a')).toBe(0);
  });
});

describe('namespace resolution', () => {
  const chart = (namespace?: string) => new Chart(new App(), 'c', namespace === undefined ? {} : { namespace });

  it('takes the prop, else the chart namespace', () => {
    expect(resolveNamespace(chart('team'), 'X c')).toBe('team');
    expect(resolveNamespace(chart('team'), 'X c', 'other')).toBe('other');
  });

  it('names the construct and the field when there is none, or it is not a label', () => {
    expect(errorOf(() => resolveNamespace(chart(), 'X c')).message).toBe('X c: namespace: not given and the chart has no namespace');
    expect(errorOf(() => resolveNamespace(chart('team'), 'X c', 'a.b')).message).toMatch(/^X c: namespace: "a\.b" is not a DNS-1123 label/);
  });
});

describe('controllerImage', () => {
  it('resolves tag, digest and reference', () => {
    expect(controllerImage({ registry: 'ghcr.io/acme/', tag: 'v1' })).toBe('ghcr.io/acme/platform-controllers:v1');
    expect(controllerImage({ digest: `sha256:${'a'.repeat(64)}` })).toBe(`platform-controllers@sha256:${'a'.repeat(64)}`);
    expect(controllerImage({ reference: 'r.io/x:y' })).toBe('r.io/x:y');
  });

  it('throws ValidationErrors naming the construct and the image field, in both call forms', () => {
    const three = errorOf(() => controllerImage({ digest: 'sha256:x' }, 'app/gen', 'image'));
    expect([three.source, three.field, three.message]).toEqual(['app/gen', 'image.digest', 'app/gen: image.digest: "sha256:x" is not a sha256 digest (sha256:<64 lowercase hex>)']);
    expect(errorOf(() => controllerImage({ tag: '-x' }, 'app/gen: image')).message).toBe('app/gen: image.tag: "-x" is not a valid image tag');
    expect(errorOf(() => controllerImage({ reference: 'bad image' }, 'app/gen: image')).field).toBe('image.reference');
    expect(errorOf(() => controllerImage({ registry: 'ghcr.io/ACME' }, 'app/gen', 'image')).field).toBe('image.registry');
  });
});

describe('security and resources', () => {
  it('restricted contexts; the root filesystem writable only when asked', () => {
    expect(restrictedPodSecurityContext(1001)).toEqual({ runAsNonRoot: true, runAsUser: 1001, runAsGroup: 1001, fsGroup: 1001, seccompProfile: { type: 'RuntimeDefault' } });
    expect(restrictedContainerSecurityContext()).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(restrictedContainerSecurityContext({ writableRootFilesystem: true })).not.toHaveProperty('readOnlyRootFilesystem');
  });

  it('resources: props over defaults, an undefined prop keeps the default', () => {
    expect(plainResources({ cpuLimit: '2', memoryLimit: undefined }, { cpuRequest: '1', cpuLimit: '1', memoryRequest: '1Gi', memoryLimit: '2Gi' })).toEqual({
      requests: { cpu: '1', memory: '1Gi', 'ephemeral-storage': '64Mi' },
      limits: { cpu: '2', memory: '2Gi', 'ephemeral-storage': '1Gi' },
    });
    // A component's own ephemeral-storage default, and a prop over it.
    const disk = { cpuRequest: '1', cpuLimit: '1', memoryRequest: '1Gi', memoryLimit: '2Gi', ephemeralStorageRequest: '256Mi', ephemeralStorageLimit: '4Gi' };
    expect(plainResources({ ephemeralStorageLimit: '8Gi' }, disk)).toMatchObject({
      requests: { 'ephemeral-storage': '256Mi' }, limits: { 'ephemeral-storage': '8Gi' },
    });
    expect(errorOf(() => plainResources({ ephemeralStorageRequest: '2Gi' }, { ...disk, ephemeralStorageLimit: '1Gi' }, 'MyChart', 'agent')).field)
      .toBe('agent.ephemeralStorageRequest');
    expect(errorOf(() => plainResources({ ephemeralStorageLimit: '0' }, disk)).field).toBe('resources.ephemeralStorageLimit');
    expect(scratchVolume('tmp')).toEqual({ name: 'tmp', emptyDir: { sizeLimit: '256Mi' } });
    const l1 = resourceRequirements({ memoryLimit: '1Gi', cpuLimit: undefined });
    expect(l1.limits!.memory.value).toBe('1Gi');
    expect(l1.limits!.cpu.value).toBe('500m');
  });
});
