/**
 * Issue #14 for PlatformController and the controller building blocks: every prop checked where
 * it enters, a ValidationError naming the construct path and the prop, never a TypeError or an
 * error from inside cdk8s without either.
 */
import { Chart, Duration, Testing } from 'cdk8s';
import {
  ControllerWorkload,
  CustomResource,
  CustomResourceDefinition,
  PlatformController,
  WebhookCertificate,
  type PlatformControllerProps,
} from '../../../constructs/controller/index.js';
import { type FlagSpec } from '../../../lib/api/flags.js';
import { MANAGER_FLAGS } from '../../../lib/api/manager.js';
import type { ControllerRule } from '../../../lib/api/rbac.js';
import type { AdmissionWebhookSpec } from '../../../lib/api/webhook.js';
import { Widget } from '../../fixtures/widget-crd.js';
import { refused } from '../../fixtures/validation.js';

const FLAGS = [{ name: 'target', type: 'string', required: true, description: 'What to watch.' }, ...MANAGER_FLAGS] as const satisfies readonly FlagSpec[];
const RULES: ControllerRule[] = [{ scope: 'cluster', apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] }];
const HOOK: AdmissionWebhookSpec = {
  type: 'mutating',
  name: 'pods.sample.platform-constructs.io',
  path: '/mutate-pods',
  rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
};
const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const any = (v: unknown) => v as any;

const chart = () => new Chart(Testing.app(), 'stack', { namespace: 'platform' });
function sample(props: Partial<PlatformControllerProps<typeof FLAGS>> = {}, c = chart()) {
  return new PlatformController(c, 'sample', { controller: 'sample', flags: FLAGS, args: { target: 'x' }, rules: RULES, ...props });
}


describe('PlatformController props', () => {
  it('a missing or non-object props object', () => {
    refused(() => new PlatformController(chart(), 'x', any(undefined)), 'stack/x', 'props', /must be an object with controller, flags, args, rules, not undefined/);
    refused(() => new PlatformController(chart(), 'x', any('sample')), 'stack/x', 'props');
  });

  it('required props of the wrong type', () => {
    refused(() => sample({ controller: any(undefined) }), 'stack/sample', 'controller', /non-empty string, not undefined/);
    refused(() => sample({ flags: any('target') }), 'stack/sample', 'flags', /a list/);
    refused(() => sample({ args: any(['--target=x']) }), 'stack/sample', 'args', /an object of flag values, not a list/);
    refused(() => sample({ rules: any({}) }), 'stack/sample', 'rules', /must be a list, not an object/);
  });

  it('its name is a Service name (DNS-1035), and leaves room for `-webhook`', () => {
    refused(() => sample({ name: '1sample' }), 'stack/sample', 'name', /"1sample" is not a valid Service name \(DNS-1035/);
    refused(() => sample({ name: 'a.b' }), 'stack/sample', 'name', /DNS-1035/);
    const webhooks = { webhooks: [HOOK], certificate: WebhookCertificate.fromSecret('tls', CA) };
    refused(() => sample({ name: `s${'x'.repeat(55)}`, webhooks }), 'stack/sample', 'name', /too long or invalid for the derived webhook Service name: "sx+-webhook" is not a valid Service name/);
    expect(() => sample({ name: `s${'x'.repeat(54)}`, webhooks })).not.toThrow();
  });

  it('Durations: whole seconds for the lease, a Duration at all', () => {
    const { message } = refused(() => sample({ workload: ControllerWorkload.deployment({ leaseDuration: Duration.millis(1500) }) }), 'stack/sample', 'leaseDuration');
    expect(message).toMatch(/1 second 500 millis is not a Duration of at least 3 seconds in whole seconds/);
    refused(() => sample({ workload: ControllerWorkload.deployment({ leaseDuration: Duration.seconds(2) }) }), 'stack/sample', 'leaseDuration', /at least 3 seconds/);
    refused(() => sample({ workload: ControllerWorkload.deployment({ leaseDuration: any(15) }) }), 'stack/sample', 'leaseDuration', /must be a Duration .* not number 15/);
    refused(() => sample({ serviceMonitor: { interval: Duration.millis(500) } }), 'stack/sample', 'serviceMonitor.interval', /500 millis is not a Duration of at least 1 second/);
    expect(() => sample({ serviceMonitor: { interval: Duration.minutes(1) } })).not.toThrow();
  });

  it('the workload is a ControllerWorkload', () => {
    refused(() => sample({ workload: any({ kind: 'Deployment', replicas: 2 }) }), 'stack/sample', 'workload', /ControllerWorkload\.deployment\(\)/);
    refused(() => ControllerWorkload.deployment(any(null)), 'ControllerWorkload.deployment', 'props', /not null/);
  });

  it('replicas, ports', () => {
    refused(() => sample({ workload: ControllerWorkload.deployment({ replicas: -1 }) }), 'stack/sample', 'replicas', /-1 is not a positive integer/);
    refused(() => sample({ metricsPort: 70000 }), 'stack/sample', 'metricsPort', /70000 is not a port from 1024 to 65535/);
    refused(() => sample({ metricsPort: any('8080') }), 'stack/sample', 'metricsPort', /string "8080"/);
    refused(() => sample({ webhooks: { webhooks: [HOOK], certificate: WebhookCertificate.fromSecret('tls', CA), port: 70000 } }), 'stack/sample', 'webhooks.port', /70000/);
  });

  it('resources: quantities and request <= limit, named under resources', () => {
    refused(() => sample({ resources: { cpuLimit: 'abc' } }), 'stack/sample', 'resources.cpuLimit', /"abc" is not a Kubernetes quantity/);
    refused(() => sample({ resources: { memoryRequest: '1Gi' } }), 'stack/sample', 'resources.memoryRequest', /above memoryLimit "256Mi"/);
    refused(() => sample({ resources: any('small') }), 'stack/sample', 'resources', /must be an object/);
  });

  it('image: an object of registry/tag/digest/reference', () => {
    refused(() => sample({ image: any('ghcr.io/acme/platform-controllers:1.0') }), 'stack/sample', 'image', /must be an object \{ registry\?, tag\?, digest\?, reference\? \}/);
    refused(() => sample({ image: { tag: 'bad tag' } }), 'stack/sample', 'image.tag', /"bad tag" is not a valid image tag/);
    refused(() => sample({ image: any({ registry: 5 }) }), 'stack/sample', 'image.registry', /non-empty string, not number 5/);
    refused(() => sample({ image: any({ digest: ['sha256:x'] }) }), 'stack/sample', 'image.digest', /not a list/);
    refused(() => sample({ image: any({ version: '1.0' }) }), 'stack/sample', 'image.version', /unknown field \(expected one of registry, tag, digest, reference\)/);
  });

  it('env: names, string values, not the names it sets itself', () => {
    refused(() => sample({ env: [{ name: '..data', value: 'x' }] }), 'stack/sample', 'env[0].name', /must not be '\.' or start with '\.\.'/);
    refused(() => sample({ env: [{ name: '1X', value: 'x' }] }), 'stack/sample', 'env[0].name', /not a valid environment variable name/);
    refused(() => sample({ env: [{ name: 'X', value: any(5) }] }), 'stack/sample', 'env[0].value', /must be a string, not number 5/);
    refused(() => sample({ env: [{ name: 'NAMESPACE', value: 'x' }] }), 'stack/sample', 'env[0].name', /is set by PlatformController/);
    refused(() => sample({ env: any({ X: 'y' }) }), 'stack/sample', 'env', /must be a list/);
    expect(() => sample({ env: [{ name: 'TOKEN', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] })).not.toThrow();
  });

  it('ports: a list of { name, port, service? }, names and ports unique and valid, Service names valid and free', () => {
    refused(() => sample({ ports: any({ name: 'api', port: 9000 }) }), 'stack/sample', 'ports', /must be a list, not an object/);
    refused(() => sample({ ports: any([undefined]) }), 'stack/sample', 'ports[0]', /is required \(fields: name, port, service, allowFrom\)/);
    refused(() => sample({ ports: any([{ name: 'api', port: 9000, protocol: 'UDP' }]) }), 'stack/sample', 'ports[0].protocol', /unknown field/);
    refused(() => sample({ ports: [{ name: 'API', port: 9000 }] }), 'stack/sample', 'ports[0].name', /"API" is not a port name/);
    refused(() => sample({ ports: [{ name: 'a-very-long-port-name', port: 9000 }] }), 'stack/sample', 'ports[0].name', /at most 15 characters/);
    refused(() => sample({ ports: [{ name: '9000', port: 9000 }] }), 'stack/sample', 'ports[0].name', /at least one letter/);
    refused(() => sample({ ports: [{ name: 'webhook', port: 9000 }] }), 'stack/sample', 'ports[0].name', /a port of PlatformController itself/);
    refused(() => sample({ ports: [{ name: 'api', port: 9000 }, { name: 'api', port: 9001 }] }), 'stack/sample', 'ports[1].name', /"api" is given twice/);
    refused(() => sample({ ports: [{ name: 'api', port: 80 }] }), 'stack/sample', 'ports[0].port', /80 is not a port from 1024 to 65535/);
    refused(() => sample({ ports: [{ name: 'api', port: any('9000') }] }), 'stack/sample', 'ports[0].port', /string "9000"/);
    refused(() => sample({ ports: [{ name: 'api', port: 9000 }, { name: 'rpc', port: 9000 }] }), 'stack/sample', 'ports[1].port', /9000 is already the port of ports\[0\]\.port/);
    refused(() => sample({ ports: [{ name: 'api', port: 9000, service: any(true) }] }), 'stack/sample', 'ports[0].service', /must be an object/);
    refused(() => sample({ ports: [{ name: 'api', port: 9000, service: { name: 'Api' } }] }), 'stack/sample', 'ports[0].service.name', /not a valid Service name/);
    refused(() => sample({ ports: [{ name: 'api', port: 9000, service: { name: 'sample' } }] }), 'stack/sample', 'ports[0].service.name', /"sample" is already the name of the metrics Service/);
    refused(() => sample({ ports: [{ name: 'api', port: 9000, service: { port: 0 } }] }), 'stack/sample', 'ports[0].service.port', /0 is not a TCP port/);
    refused(() => sample({ name: `s${'x'.repeat(59)}`, ports: [{ name: 'api', port: 9000, service: {} }] }), 'stack/sample', 'ports[0].service.name', /the derived name is invalid \(give one\)/);
    expect(() => sample({ name: `s${'x'.repeat(59)}`, ports: [{ name: 'api', port: 9000, service: { name: 'api' } }] })).not.toThrow();
  });

  it('serviceMonitor labels are labels', () => {
    refused(() => sample({ serviceMonitor: { labels: { 'bad key!': 'x' } } }), 'stack/sample', 'serviceMonitor.labels.bad key!', /not a valid label key/);
    refused(() => sample({ serviceMonitor: { labels: { release: any(1) } } }), 'stack/sample', 'serviceMonitor.labels.release', /not a valid label value/);
  });

  it('webhooks: an object with a list and a WebhookCertificate', () => {
    refused(() => sample({ webhooks: any([HOOK]) }), 'stack/sample', 'webhooks', /an object \{ webhooks, certificate, port\? \}/);
    refused(() => sample({ webhooks: any({ webhooks: HOOK, certificate: WebhookCertificate.fromSecret('tls', CA) }) }), 'stack/sample', 'webhooks.webhooks', /a list/);
    refused(() => sample({ webhooks: any({ webhooks: [HOOK], certificate: { secretName: 'tls' } }) }), 'stack/sample', 'webhooks.certificate', /WebhookCertificate\.fromSecret\(\)/);
  });

  it('WebhookCertificate factories check their arguments', () => {
    refused(() => WebhookCertificate.fromSecret('Bad_Name', CA), 'WebhookCertificate.fromSecret', 'secretName', /not a valid Secret name/);
    refused(() => WebhookCertificate.fromSecret('tls', any(undefined)), 'WebhookCertificate.fromSecret', 'caBundle', /PEM/);
    refused(() => WebhookCertificate.fromCertManager(any(undefined)), 'WebhookCertificate.fromCertManager', 'props', /with name/);
    refused(() => WebhookCertificate.fromCertManager(any({ name: 'ca', kind: 'Issuer2' })), 'WebhookCertificate.fromCertManager', 'kind', /'Issuer' or 'ClusterIssuer'/);
  });

  it('two controllers of one name in one namespace are refused, naming both', () => {
    const c = chart();
    sample({}, c);
    const { message } = refused(() => new PlatformController(c, 'other', { controller: 'sample', flags: FLAGS, args: { target: 'x' }, rules: RULES }), 'stack/other', 'name', /would be synthesized twice/);
    expect(message).toMatch(/stack\/other\//);
    expect(message).toMatch(/stack\/sample\//);
  });
});

describe('custom resources', () => {
  it('CustomResourceDefinition and CustomResource refuse missing or wrong props', () => {
    refused(() => new CustomResourceDefinition(chart(), 'crd', any(undefined)), 'stack/crd', 'props', /with definition/);
    refused(() => new CustomResourceDefinition(chart(), 'crd', any({ definition: {} })), 'stack/crd', 'definition', /defineCustomResource/);
    refused(() => new CustomResourceDefinition(chart(), 'crd', any({ definition: Widget, annotations: { a: 1 } })), 'stack/crd', 'annotations.a', /must be a string/);
    refused(() => new CustomResource(chart(), 'w', any(undefined)), 'stack/w', 'props', /with definition, spec/);
    refused(() => new CustomResource(chart(), 'w', any({ definition: 'widgets', spec: {} })), 'stack/w', 'definition', /defineCustomResource/);
    refused(() => new CustomResource(chart(), 'w', any({ definition: Widget, spec: {}, metadata: 'w' })), 'stack/w', 'metadata', /must be an object/);
    refused(() => new CustomResource(chart(), 'w', any({ definition: Widget, spec: () => 1 })), 'stack/w', '/spec', /must be of type object, got undefined/);
  });

  it('a CRD or a custom resource synthesized twice is refused, naming both', () => {
    const c = chart();
    new CustomResourceDefinition(c, 'a', { definition: Widget });
    refused(() => new CustomResourceDefinition(c, 'b', { definition: Widget }), 'stack/b', 'name', /CustomResourceDefinition\.apiextensions\.k8s\.io "widgets\.[^"]+" would be synthesized twice/);
    const spec = { minReplicas: 1, maxReplicas: 3 };
    new CustomResource(c, 'w', { definition: Widget, spec });
    refused(() => new CustomResource(c, 'w2', { definition: Widget, metadata: { name: 'w' }, spec }), 'stack/w2', 'name', /would be synthesized twice/);
  });
});
