/**
 * JobMeasurement's props are checked where they enter, each error a ValidationError naming the
 * prop; a value the runtime would refuse is refused with the runtime's own words; and no value
 * of any prop makes a TypeError.
 */
import { Chart, Duration, Testing } from 'cdk8s';
import { WebhookCertificate } from '../../../constructs/controller/index.js';
import { JobMeasurement, type JobMeasurementProps } from '../../../constructs/servo/index.js';
import { FlagError, parseFlags } from '../../../lib/api/flags.js';
import { SERVO_FLAGS, servoOptionsFromFlags } from '../../../lib/api/servo/index.js';
import { isPlainObject, ValidationError } from '../../../lib/k8s/validation.js';
import { errorOf, refused } from '../../fixtures/validation.js';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const any = (v: unknown) => v as any;
const S = 'stack/servo';

function make(props: Partial<JobMeasurementProps>, namespace: string | null = 'measure') {
  const chart = new Chart(Testing.app(), 'stack', namespace ? { namespace } : {});
  return new JobMeasurement(chart, 'servo', { webhookCertificate: WebhookCertificate.fromSecret('servo-tls', CA), account: 'acme', ...props });
}

describe('JobMeasurement props are checked, the error naming the prop', () => {
  it.each<[string, Partial<JobMeasurementProps>, string, RegExp]>([
    ['no webhookCertificate', { webhookCertificate: undefined }, 'webhookCertificate', /must be WebhookCertificate\.fromSecret\(\) or WebhookCertificate\.fromCertManager\(\), not undefined/],
    ['a webhookCertificate that is a plain object', { webhookCertificate: any({ secretName: 's', caBundle: CA }) }, 'webhookCertificate', /must be WebhookCertificate/],
    ['a CA bundle that is not PEM', { webhookCertificate: WebhookCertificate.fromSecret('s', 'abc') }, 'webhookCertificate.caBundle', /must be the PEM/],
    ['namespaces empty', { namespaces: [] }, 'namespaces', /is empty/],
    ['namespaces not a list', { namespaces: any('jobs') }, 'namespaces', /must be a list of namespaces, not string "jobs"/],
    ['a namespace that is not a label', { namespaces: ['jobs', 'Batch_Jobs'] }, 'namespaces[1]', /not a DNS-1123 label/],
    ['a namespace given twice', { namespaces: ['jobs', 'etl', 'jobs'] }, 'namespaces[2]', /"jobs" is given twice/],
    ['the controller\'s own namespace watched', { namespaces: ['jobs', 'measure'] }, 'namespaces[1]', /"measure" is the controller's own namespace, which PlatformController excludes from every webhook .*never get the finalizer or the monitor/],
    ['the default url without account', { account: undefined }, 'account', /^is required: the default url \(the original's OPTUNE_URL\) uses \{acct\}$/],
    ['a url with {acct} and no account', { account: undefined, url: 'https://o.example.com/{acct}/{app_id}' }, 'account', /^is required: url uses \{acct\}$/],
    ['url with {acct} and an empty account', { account: '' }, 'account', /must be a non-empty string/],
    ['url with an unknown placeholder', { url: 'https://o.example.com/{acct}/{app}' }, 'url', /has the placeholder \{app\}: only \{acct\} and \{app_id\} are replaced/],
    ['url that is not http', { url: 'ftp://o.example.com/{app_id}' }, 'url', /must be http or https/],
    ['url that is not a URL', { url: 'optimizer/{app_id}' }, 'url', /is not a URL/],
    ['url not a string', { url: any(42) }, 'url', /must be a non-empty string, not number 42/],
    ['appIdPath with an unclosed bracket', { appIdPath: 'spec/containers/0/env/[JOBID' }, 'appIdPath', /opens \[ without closing it/],
    ['appIdPath of slashes only', { appIdPath: '///' }, 'appIdPath', /has no element/],
    ['appIdPath [a,b]', { appIdPath: 'spec/containers/0/env/[JOBID,name]' }, 'appIdPath', /must be \[key\] or \[key,keyField,valueField\]/],
    ['authTokenSecret without key', { authTokenSecret: any({ name: 'token' }) }, 'authTokenSecret.key', /not a valid ConfigMap\/Secret key/],
    ['authTokenSecret with a bad Secret name', { authTokenSecret: { name: 'Optune_Token', key: 'token' } }, 'authTokenSecret.name', /not a valid Secret name/],
    ['authTokenSecret with a bad key', { authTokenSecret: { name: 'optune', key: 'a/b' } }, 'authTokenSecret.key', /not a valid ConfigMap\/Secret key/],
    ['authTokenSecret not an object', { authTokenSecret: any('optune/token') }, 'authTokenSecret', /must be an object/],
    ['monitorImage true', { monitorImage: any(true) }, 'monitorImage', /^must be an image \{ registry\?, tag\?, digest\?, reference\? \} or false, not boolean true$/],
    ['monitorImage a string', { monitorImage: any('ghcr.io/acme/pc:1') }, 'monitorImage', /or false, not string/],
    ['monitorImage with an unknown field', { monitorImage: any({ image: 'x' }) }, 'monitorImage.image', /unknown field/],
    ['monitorImage with a bad tag', { monitorImage: { tag: 'bad tag' } }, 'monitorImage.tag', /not a valid image tag/],
    ['monitorImage with a bad digest', { monitorImage: { digest: 'sha256:abc' } }, 'monitorImage.digest', /not a sha256 digest/],
    ['monitorInterval under 10 ms', { monitorInterval: Duration.millis(5) }, 'monitorInterval', /at least 10 ms/],
    ['monitorResources with an unknown field', { monitorResources: any({ gpu: '1' }) }, 'monitorResources.gpu', /unknown field/],
    ['monitor CPU not a quantity', { monitorResources: { cpu: 'lots' } }, 'monitorResources.cpu', /not a Kubernetes quantity/],
    ['monitor CPU zero', { monitorResources: { cpu: '0' } }, 'monitorResources.cpu', /"0" must be greater than zero/],
    ['monitor memory below what Node needs', { monitorResources: { memory: '32Mi' } }, 'monitorResources.memory', /"32Mi" is below the 48Mi a Node\.js monitor needs/],
    ['monitorInterval with the monitor off', { monitorImage: false, monitorInterval: Duration.millis(200) }, 'monitorInterval', /is set, but monitorImage is false/],
    ['monitorResources with the monitor off', { monitorImage: false, monitorResources: { cpu: '10m' } }, 'monitorResources', /is set, but monitorImage is false/],
    ['statsTimeout under 1 s', { statsTimeout: Duration.millis(500) }, 'statsTimeout', /at least 1 second/],
    ['sendTimeout under 100 ms', { sendTimeout: Duration.millis(50) }, 'sendTimeout', /at least 100 ms/],
    ['maxBackoff under 1 s', { maxBackoff: Duration.millis(999) }, 'maxBackoff', /at least 1 second/],
    ['maxBackoff a string', { maxBackoff: any('5m') }, 'maxBackoff', /must be a Duration .* not string "5m"/],
    ['concurrency 0', { concurrency: 0 }, 'concurrency', /from 1 to 256/],
    ['concurrency 257', { concurrency: 257 }, 'concurrency', /from 1 to 256/],
    ['workers 0', { workers: 0 }, 'workers', /from 1 to 64/],
    ['workers 65', { workers: 65 }, 'workers', /from 1 to 64/],
    ['workers 1.5', { workers: 1.5 }, 'workers', /1.5 is not an integer from 1 to 64/],
    ['metricsPort on the webhook port', { metricsPort: 9443 }, 'metricsPort', /9443 is the webhook's port/],
    ['a privileged metricsPort', { metricsPort: 80 }, 'metricsPort', /80 is not a port from 1024 to 65535/],
    ['a namespace that is not a label', { namespace: 'Servo' }, 'namespace', /not a DNS-1123 label/],
    ['a name that is not a Service name', { name: '1servo' }, 'name', /not a valid Service name/],
    ['a name too long for the webhook Service', { name: `s${'e'.repeat(56)}` }, 'name', /too long or invalid for the derived webhook Service name/],
    ['replicas 0', { replicas: 0 }, 'replicas', /0 is not a positive integer/],
    ['a lease of 1.5 s', { leaseDuration: Duration.millis(1500) }, 'leaseDuration', /in whole seconds/],
    ['an image tag with a space', { image: { tag: 'bad tag' } }, 'image.tag', /not a valid image tag/],
    ['an image with an unknown field', { image: any({ repository: 'x' }) }, 'image.repository', /unknown field/],
    ['a resource that is not a quantity', { resources: { cpuLimit: 'lots' } }, 'resources.cpuLimit', /not a Kubernetes quantity/],
  ])('%s', (_what, props, field, reason) => {
    refused(() => make(props), S, field, reason);
  });

  it('the default namespaces ([default]) in a chart of namespace default: refused, saying why and what to give', () => {
    refused(() => make({}, 'default'), S, 'namespaces', /defaults to \["default"\], but "default" is the controller's own namespace.*or give namespaces/);
    expect(() => make({ namespaces: ['jobs'] }, 'default')).not.toThrow();
    expect(() => make({ namespace: 'servo-system' }, 'default')).not.toThrow();
  });

  it('a URL with credentials is refused without repeating them', () => {
    const err = refused(() => make({ url: 'https://bob:hunter2@o.example.com/{acct}/{app_id}' }), S, 'url', /carries credentials.*authTokenSecret/);
    expect(err.message).not.toContain('hunter2');
    expect(err.message).not.toContain('bob');
    expect(err.value).toBeUndefined();
  });

  it('the props object itself, and no props at all', () => {
    const chart = () => new Chart(Testing.app(), 'stack');
    refused(() => new JobMeasurement(chart(), 'servo', any('servo')), S, 'props', /must be an object with webhookCertificate/);
    refused(() => new JobMeasurement(chart(), 'servo', any(undefined)), S, 'props', /must be an object with webhookCertificate/);
  });

  it('a value the runtime refuses reads as the runtime\'s own reason, naming the prop instead of the flag', () => {
    const err = errorOf(() => make({ monitorResources: { memory: '40Mi' } }));
    let runtime: unknown;
    try {
      servoOptionsFromFlags(parseFlags(SERVO_FLAGS, ['--account=a', '--monitor-image=x', '--monitor-memory=40Mi'], { NAMESPACE: 'n' }).values);
    } catch (e) {
      runtime = e;
    }
    expect(runtime).toBeInstanceOf(FlagError);
    expect((runtime as FlagError).flag).toBe('monitor-memory');
    expect(err.reason).toBe((runtime as FlagError).reason);
    expect(err.field).toBe('monitorResources.memory');
  });

  it('two servos of one name and namespace in one app are refused, naming both', () => {
    const chart = new Chart(Testing.app(), 'stack', { namespace: 'measure' });
    const cert = WebhookCertificate.fromSecret('servo-tls', CA);
    new JobMeasurement(chart, 'servo', { webhookCertificate: cert, account: 'a' });
    const err = errorOf(() => new JobMeasurement(chart, 'other', { webhookCertificate: cert, account: 'a', name: 'servo', namespaces: ['etl'] }));
    expect([err.source, err.field]).toEqual(['stack/other', 'name']);
    expect(err.message).toMatch(/would be synthesized twice: by stack\/other\/.* and by stack\/servo\//);
    expect(() => new JobMeasurement(chart, 'third', { webhookCertificate: cert, account: 'a', name: 'servo-etl', namespaces: ['etl'] })).not.toThrow();
  });
});

// The same sweep as test/unit/controller/no-type-error.test.ts (issue #14) runs for the other controllers.
const WEIRD: unknown[] = [null, 0, -1, NaN, 70000, '', 'x', '..', 'A b', [], {}, [1], { a: 1 }, true, false, () => 1, new Map(), Duration.millis(500)];
const PROPS = [
  'webhookCertificate', 'namespaces', 'url', 'account', 'authTokenSecret', 'appIdPath', 'monitorImage', 'monitorInterval', 'monitorResources',
  'namespace', 'name', 'replicas', 'leaseDuration', 'image', 'resources', 'metricsPort', 'network', 'workers', 'concurrency', 'statsTimeout', 'sendTimeout', 'maxBackoff',
] as const;

it('every prop, every odd value: it works or it is a ValidationError naming the construct', () => {
  for (const prop of PROPS) for (const value of WEIRD) {
    try {
      make({ [prop]: value });
      if (prop === 'image' || (prop === 'monitorImage' && value !== false)) expect(isPlainObject(value) && Object.keys(value as object).length === 0).toBe(true);
    } catch (e) {
      if (!(e instanceof ValidationError)) throw new Error(`${prop}=${String(value)}: ${(e as Error).name}: ${(e as Error).message}`);
      expect((e as ValidationError).source).toMatch(/^stack\/servo/);
    }
  }
});

it('the list of props in the sweep is every prop of JobMeasurementProps', () => {
  // A prop added to the interface without being swept fails to compile here.
  const all: Record<keyof JobMeasurementProps, true> = Object.fromEntries(PROPS.map((p) => [p, true])) as Record<(typeof PROPS)[number], true>;
  expect(Object.keys(all).sort()).toEqual([...PROPS].sort());
});
