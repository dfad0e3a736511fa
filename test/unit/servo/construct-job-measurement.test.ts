/**
 * The JobMeasurement construct: what it synthesizes agrees with lib/api/servo (args parse back
 * with SERVO_FLAGS and servoOptionsFromFlags to the props, RBAC is servoRules plus the Lease and
 * nothing cluster-wide, the webhook is servoWebhook with the given certificate), the token comes
 * from a Secret only, and the monitor's image is the controller's unless given or turned off.
 */
import { Chart, Duration, Testing } from 'cdk8s';
import { WebhookCertificate } from '../../../constructs/controller/index.js';
import { JobMeasurement, SERVO_DEFAULT_NAMESPACE, defaultPullPolicy, type JobMeasurementProps } from '../../../constructs/servo/index.js';
import { parseFlags, renderFlags } from '../../../lib/api/flags.js';
import { WEBHOOK_CERT_DIR } from '../../../lib/api/manager.js';
import { leaseRules } from '../../../lib/api/rbac.js';
import {
  DEFAULT_APP_ID_PATH,
  DEFAULT_OPTUNE_URL,
  SERVO_FLAGS,
  SERVO_WEBHOOK_NAME,
  SERVO_WEBHOOK_PATH,
  appIdOf,
  injectionFor,
  jobAppId,
  parseAppIdPath,
  servoOptionsFromFlags,
  servoRules,
  servoWebhook,
  type JobPodObject,
} from '../../../lib/api/servo/index.js';
import { controllerImage } from '../../../lib/k8s/image.js';
import { PACKAGE_VERSION } from '../../../lib/k8s/version.js';
import { declaredRules, grantedRules } from '../../fixtures/rbac.js';
import { refused } from '../../fixtures/validation.js';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const byKind = (objects: any[], kind: string) => objects.filter((o) => o.kind === kind);
const containerOf = (objects: any[]) => byKind(objects, 'Deployment')[0].spec.template.spec.containers[0];
/** `Kind/namespace/name` (`Kind/name` for the cluster-scoped webhook configuration). */
const refs = (objects: any[]) => objects.map((o) => (o.kind === 'MutatingWebhookConfiguration' ? `${o.kind}/${o.metadata.name}` : `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`)).sort();

function synth(props: Partial<JobMeasurementProps> = {}, namespace: string | null = 'measure') {
  const chart = new Chart(Testing.app(), 'stack', namespace ? { namespace } : {});
  // The default url uses {acct}: an account is needed unless a test says otherwise.
  const servo = new JobMeasurement(chart, 'servo', { webhookCertificate: WebhookCertificate.fromSecret('servo-tls', CA), account: 'acme', ...props });
  return { servo, objects: Testing.synth(chart) as any[] };
}

/** What the runtime makes of the Deployment's args (its namespace from the pod's env). */
function runtimeOptions(objects: any[]) {
  const args: string[] = containerOf(objects).args;
  expect(args[0]).toBe('servo');
  const namespace = byKind(objects, 'Deployment')[0].metadata.namespace;
  return servoOptionsFromFlags(parseFlags(SERVO_FLAGS, args.slice(1), { NAMESPACE: namespace }).values);
}

describe('JobMeasurement', () => {
  it('the objects: ServiceAccount, a Role in each watched namespace and its own (Lease), Deployment, PDB, metrics and webhook Services, the mutating webhook; nothing cluster-wide but the webhook configuration', () => {
    const { servo, objects } = synth({ namespaces: ['batch-b', 'batch-a'] });
    expect(refs(objects)).toEqual([
      'Deployment/measure/servo',
      'MutatingWebhookConfiguration/measure-servo',
      'NetworkPolicy/measure/servo',
      'PodDisruptionBudget/measure/servo',
      'Role/batch-a/servo',
      'Role/batch-b/servo',
      'Role/measure/servo',
      'RoleBinding/batch-a/servo',
      'RoleBinding/batch-b/servo',
      'RoleBinding/measure/servo',
      'Service/measure/servo',
      'Service/measure/servo-webhook',
      'ServiceAccount/measure/servo',
    ]);
    for (const binding of byKind(objects, 'RoleBinding')) {
      expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'servo', namespace: 'measure' }]);
    }
    expect(byKind(objects, 'Deployment')[0].spec.replicas).toBe(2);
    expect(servo.namespaces).toEqual(['batch-a', 'batch-b']);
    expect([servo.name, servo.namespace, servo.serviceAccountName, servo.webhookServiceName]).toEqual(['servo', 'measure', 'servo', 'servo-webhook']);
    expect(servo.deployment).toBe(servo.workload);
    expect([servo.watches('batch-a'), servo.watches('measure'), servo.watches('default')]).toEqual([true, false, false]);
  });

  it('RBAC: exactly servoRules of the watched namespaces plus its Lease, as Roles only', () => {
    const { servo, objects } = synth({ namespaces: ['jobs', 'etl'] });
    const expected = [...servoRules(['etl', 'jobs']), ...leaseRules('servo')];
    expect(servo.rules).toEqual(expected);
    expect(grantedRules(objects)).toEqual(declaredRules(expected, 'measure'));
    expect(grantedRules(objects).filter((r) => r.startsWith('cluster'))).toEqual([]);
    // Pods and Events in the watched namespaces only; its own namespace holds only the Lease.
    const own = byKind(objects, 'Role').find((r) => r.metadata.namespace === 'measure');
    expect(own.rules.map((r: any) => r.resources)).toEqual([['leases'], ['leases']]);
  });

  it('args: every prop becomes its flag, and what the runtime makes of them is the props', () => {
    const { servo, objects } = synth({
      namespaces: ['jobs', 'etl'],
      url: 'https://optimizer.example.com/{acct}/apps/{app_id}/servo',
      account: 'acme',
      appIdPath: 'spec/containers/[job,name,env]/[RUN_ID]',
      monitorImage: { registry: 'ghcr.io/acme', tag: '2.0.0' },
      monitorInterval: Duration.millis(250),
      monitorResources: { cpu: '100m', memory: '96Mi' },
      statsTimeout: Duration.seconds(45),
      sendTimeout: Duration.seconds(4),
      maxBackoff: Duration.minutes(2),
      concurrency: 32,
      workers: 8,
      metricsPort: 9090,
    });
    expect(containerOf(objects).args.slice(1)).toEqual(
      renderFlags(SERVO_FLAGS, {
        namespaces: 'etl,jobs',
        url: 'https://optimizer.example.com/{acct}/apps/{app_id}/servo',
        account: 'acme',
        'app-id-path': 'spec/containers/[job,name,env]/[RUN_ID]',
        'monitor-image': 'ghcr.io/acme/platform-controllers:2.0.0',
        'monitor-image-pull-policy': 'IfNotPresent',
        'monitor-interval': 250,
        'monitor-cpu': '100m',
        'monitor-memory': '96Mi',
        'stats-timeout': 45_000,
        'send-timeout': 4_000,
        'max-backoff': 120_000,
        concurrency: 32,
        workers: 8,
        'metrics-port': 9090,
        'leader-election-id': 'servo',
        'lease-duration': 15_000,
        'renew-deadline': 10_000,
        'retry-period': 2_000,
        'webhook-port': 9443,
        'webhook-cert-dir': WEBHOOK_CERT_DIR,
      }),
    );
    const options = runtimeOptions(objects);
    expect(options).toEqual({
      namespace: 'measure',
      namespaces: ['etl', 'jobs'],
      url: 'https://optimizer.example.com/{acct}/apps/{app_id}/servo',
      account: 'acme',
      appIdPath: parseAppIdPath('spec/containers/[job,name,env]/[RUN_ID]'),
      monitor: { image: 'ghcr.io/acme/platform-controllers:2.0.0', imagePullPolicy: 'IfNotPresent', intervalMs: 250, cpu: '100m', memory: '96Mi', heapMiB: 56 },
      statsTimeoutMs: 45_000,
      sendTimeoutMs: 4_000,
      maxBackoffMs: 120_000,
      concurrency: 32,
      workers: 8,
    });
    expect(servo.options).toEqual(options);
    expect(servo.monitorImage).toBe('ghcr.io/acme/platform-controllers:2.0.0');
  });

  it('the defaults are the original\'s (POD_NAMESPACES, OPTUNE_URL, OPTUNE_APP_ID) and the flags\' defaults; the monitor runs the controller\'s image', () => {
    const { servo, objects } = synth({ account: 'acme' });
    const image = `platform-controllers:${PACKAGE_VERSION}`;
    expect(containerOf(objects).image).toBe(image);
    const options = runtimeOptions(objects);
    const { monitor, ...rest } = options;
    const flagDefaults = servoOptionsFromFlags(parseFlags(SERVO_FLAGS, ['--account=acme'], { NAMESPACE: 'measure' }).values);
    expect(flagDefaults.monitor).toBeUndefined();
    expect(rest).toEqual(flagDefaults);
    expect(rest).toMatchObject({ namespaces: ['default'], url: DEFAULT_OPTUNE_URL, account: 'acme', appIdPath: parseAppIdPath(DEFAULT_APP_ID_PATH) });
    expect(monitor).toEqual({ image, imagePullPolicy: 'IfNotPresent', intervalMs: 100, cpu: '50m', memory: '64Mi', heapMiB: 24 });
    expect(servo.options).toEqual(options);
    expect(servo.monitorImage).toBe(image);
  });

  it('the monitor image follows the controller image and its pull policy by default', () => {
    for (const image of [{ registry: 'ghcr.io/acme', tag: 'latest' }, { registry: 'ghcr.io/acme', digest: `sha256:${'a'.repeat(64)}` }, { reference: 'registry.local:5000/pc' }, { tag: '1.2.3' }]) {
      const { servo, objects } = synth({ account: 'a', image });
      const controller = containerOf(objects).image;
      expect(controller).toBe(controllerImage(image));
      expect(servo.options.monitor?.image).toBe(controller);
      expect(servo.options.monitor?.imagePullPolicy).toBe(defaultPullPolicy(controller));
    }
    expect(synth({ account: 'a', image: { tag: 'latest' } }).servo.options.monitor?.imagePullPolicy).toBe('Always');
    // A monitor image of its own is resolved on its own (registry included).
    const own = synth({ account: 'a', image: { registry: 'ghcr.io/acme' }, monitorImage: { reference: 'mirror.local/pc@sha256:' + 'b'.repeat(64) } });
    expect(own.servo.options.monitor).toMatchObject({ image: `mirror.local/pc@sha256:${'b'.repeat(64)}`, imagePullPolicy: 'IfNotPresent' });
    expect(containerOf(own.objects).image).toBe(`ghcr.io/acme/platform-controllers:${PACKAGE_VERSION}`);
  });

  it('monitorImage: false renders no monitor flag: job pods get only the finalizer', () => {
    const { servo, objects } = synth({ account: 'a', monitorImage: false });
    const args: string[] = containerOf(objects).args;
    expect(args.filter((a) => a.startsWith('--monitor-'))).toEqual([]);
    expect(servo.options.monitor).toBeUndefined();
    expect(servo.monitorImage).toBeUndefined();
    const on = synth({ account: 'a' });
    expect(containerOf(on.objects).args.filter((a: string) => a.startsWith('--monitor-')).map((a: string) => a.split('=')[0])).toEqual([
      '--monitor-image', '--monitor-image-pull-policy', '--monitor-interval', '--monitor-cpu', '--monitor-memory',
    ]);
    // What the webhook then does to a job pod: the finalizer only, or the finalizer and the monitor.
    const pod: JobPodObject = { metadata: { namespace: 'default' }, spec: { restartPolicy: 'Never', containers: [{ name: 'job', env: [servo.jobEnv('app-1')] }] } };
    expect(injectionFor(pod, servo.options.monitor).patch.map((o) => o.path)).toEqual(['/metadata/finalizers']);
    expect(injectionFor(pod, on.servo.options.monitor).patch.map((o) => o.path)).toEqual(['/metadata/finalizers', '/spec/initContainers', '/spec/shareProcessNamespace']);
  });

  it('the token comes from the Secret as env OPTUNE_AUTH_TOKEN, never as a value, a flag or an object', () => {
    const { objects } = synth({ account: 'a', authTokenSecret: { name: 'optune-token', key: 'token' } });
    const env = containerOf(objects).env as any[];
    expect(env.filter((e) => e.name === 'OPTUNE_AUTH_TOKEN')).toEqual([{ name: 'OPTUNE_AUTH_TOKEN', valueFrom: { secretKeyRef: { name: 'optune-token', key: 'token' } } }]);
    expect(containerOf(objects).args.filter((a: string) => a.includes('auth-token'))).toEqual([]);
    expect(byKind(objects, 'Secret')).toEqual([]);
    // Without a token: no env (the servo sends no Authorization header).
    const none = synth({ account: 'a' });
    expect((containerOf(none.objects).env as any[]).map((e) => e.name)).not.toContain('OPTUNE_AUTH_TOKEN');
    // A token value cannot be given at all.
    refused(() => synth({ account: 'a', authTokenSecret: { name: 'optune-token', key: 'token', value: 's3cr3t' } as any }), 'stack/servo', 'authTokenSecret.value', /unknown field/);
  });

  it('the webhook from a given Secret: servoWebhook of the watched namespaces, Ignore, 3 s, the CA bundle, its own namespace excluded', () => {
    const { objects } = synth({ namespaces: ['jobs', 'etl'] });
    const [mwc] = byKind(objects, 'MutatingWebhookConfiguration');
    expect(mwc.metadata.annotations).toBeUndefined();
    const spec = servoWebhook(['etl', 'jobs']);
    expect(mwc.webhooks).toEqual([
      {
        name: SERVO_WEBHOOK_NAME,
        admissionReviewVersions: ['v1'],
        sideEffects: 'None',
        failurePolicy: 'Ignore',
        timeoutSeconds: 3,
        matchPolicy: 'Equivalent',
        clientConfig: { service: { name: 'servo-webhook', namespace: 'measure', path: SERVO_WEBHOOK_PATH, port: 443 }, caBundle: Buffer.from(CA).toString('base64') },
        rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' }],
        namespaceSelector: {
          matchExpressions: [
            { key: 'kubernetes.io/metadata.name', operator: 'In', values: ['etl', 'jobs'] },
            { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['measure'] },
          ],
        },
        matchConditions: [{ name: 'not-restart-always', expression: "object.spec.restartPolicy != 'Always'" }],
        reinvocationPolicy: 'Never',
      },
    ]);
    expect(mwc.webhooks[0].matchConditions).toEqual(spec.matchConditions);
    expect(byKind(objects, 'ValidatingWebhookConfiguration')).toEqual([]);
    const pod = byKind(objects, 'Deployment')[0].spec.template.spec;
    expect(pod.volumes).toEqual([{ name: 'webhook-cert', secret: { secretName: 'servo-tls', defaultMode: 0o440 } }]);
    expect(pod.containers[0].ports.map((p: any) => [p.name, p.containerPort])).toEqual([['metrics', 8080], ['webhook', 9443]]);
    const svc = byKind(objects, 'Service').find((s) => s.metadata.name === 'servo-webhook');
    expect(svc.spec.ports).toEqual([{ name: 'webhook', port: 443, targetPort: 'webhook', protocol: 'TCP' }]);
    expect(byKind(objects, 'Certificate')).toEqual([]);
  });

  it('the webhook from cert-manager: a Certificate for the webhook Service, the CA injected', () => {
    const { servo, objects } = synth({ name: 'measure-jobs', webhookCertificate: WebhookCertificate.fromCertManager({ name: 'ca', kind: 'ClusterIssuer' }) });
    const [cert] = byKind(objects, 'Certificate');
    expect(cert.metadata).toMatchObject({ name: 'measure-jobs-webhook', namespace: 'measure' });
    expect(cert.spec).toMatchObject({
      secretName: 'measure-jobs-webhook-cert',
      dnsNames: ['measure-jobs-webhook.measure.svc', 'measure-jobs-webhook.measure.svc.cluster.local'],
      issuerRef: { name: 'ca', kind: 'ClusterIssuer', group: 'cert-manager.io' },
    });
    const [mwc] = byKind(objects, 'MutatingWebhookConfiguration');
    expect(mwc.metadata).toMatchObject({ name: 'measure-measure-jobs', annotations: { 'cert-manager.io/inject-ca-from': 'measure/measure-jobs-webhook' } });
    expect(mwc.webhooks[0].clientConfig).toEqual({ service: { name: 'measure-jobs-webhook', namespace: 'measure', path: SERVO_WEBHOOK_PATH, port: 443 } });
    expect(mwc.webhooks[0].failurePolicy).toBe('Ignore');
    expect(servo.webhookServiceName).toBe('measure-jobs-webhook');
    expect(byKind(objects, 'Deployment')[0].spec.template.spec.volumes[0].secret.secretName).toBe('measure-jobs-webhook-cert');
  });

  it('namespace: the prop, else the chart\'s, else servo-system', () => {
    expect(synth({}, 'ops').servo.namespace).toBe('ops');
    expect(synth({ namespace: 'servo-a' }, 'ops').servo.namespace).toBe('servo-a');
    const { servo, objects } = synth({}, null);
    expect(SERVO_DEFAULT_NAMESPACE).toBe('servo-system');
    expect(servo.namespace).toBe('servo-system');
    expect(servo.options.namespace).toBe('servo-system');
    expect(byKind(objects, 'Deployment')[0].metadata.namespace).toBe('servo-system');
    expect(byKind(objects, 'MutatingWebhookConfiguration')[0].webhooks[0].namespaceSelector.matchExpressions[1].values).toEqual(['servo-system']);
  });

  it('name, replicas, lease, image and resources reach the workload', () => {
    const { objects } = synth({ name: 'jobs', replicas: 3, leaseDuration: Duration.seconds(30), image: { registry: 'ghcr.io/acme', tag: '1.0.0' }, resources: { memoryLimit: '512Mi' } });
    const dep = byKind(objects, 'Deployment')[0];
    expect([dep.metadata.name, dep.spec.replicas]).toEqual(['jobs', 3]);
    const c = dep.spec.template.spec.containers[0];
    expect(c.image).toBe('ghcr.io/acme/platform-controllers:1.0.0');
    expect(c.resources.limits.memory).toBe('512Mi');
    expect(c.args).toEqual(expect.arrayContaining(['--leader-election-id=jobs', '--lease-duration=30s', '--monitor-image=ghcr.io/acme/platform-controllers:1.0.0']));
    expect(byKind(objects, 'Service').map((s) => s.metadata.name).sort()).toEqual(['jobs', 'jobs-webhook']);
  });
});

describe('how a job opts in', () => {
  it('jobEnv: the env the app id path reads, which makes the pod a job of that app', () => {
    const { servo } = synth();
    expect(servo.appIdEnvName).toBe('JOBID');
    expect(servo.jobEnv('etl-42')).toEqual({ name: 'JOBID', value: 'etl-42' });
    const pod: JobPodObject = { metadata: { namespace: 'default' }, spec: { restartPolicy: 'OnFailure', containers: [{ name: 'main', env: [servo.jobEnv('etl-42')] }] } };
    expect(jobAppId(pod, servo.options)).toBe('etl-42');
    // A pod that restarts for ever is not a job, whatever its env.
    expect(jobAppId({ ...pod, spec: { ...pod.spec, restartPolicy: 'Always' } }, servo.options)).toBeUndefined();
  });

  it('jobEnv with a container chosen by name', () => {
    const { servo } = synth({ appIdPath: 'spec/containers/[worker,name,env]/[RUN]' });
    expect(servo.appIdEnvName).toBe('RUN');
    const pod: JobPodObject = { spec: { containers: [{ name: 'sidecar' }, { name: 'worker', env: [servo.jobEnv('r1')] }] } };
    expect(appIdOf(pod, servo.options.appIdPath)).toBe('r1');
    expect(synth({ appIdPath: '/spec/containers/2/env/[APP]' }).servo.appIdEnvName).toBe('APP');
  });

  it('a path that reads no env: no appIdEnvName, and jobEnv is refused naming appIdPath', () => {
    for (const appIdPath of ['metadata/labels/app', 'spec/containers/0/env/[JOBID,name,valueFrom]', 'spec/containers/x/env/[JOBID]', 'spec/containers/0/env/[JOBID]/more']) {
      const { servo } = synth({ appIdPath });
      expect(servo.appIdEnvName).toBeUndefined();
      refused(() => servo.jobEnv('a'), 'stack/servo.jobEnv', 'appIdPath', /does not read an env variable/);
    }
    refused(() => synth().servo.jobEnv(''), 'stack/servo.jobEnv', 'appId', /non-empty string/);
  });
});

describe('defaultPullPolicy: what the API server gives a container without one', () => {
  it.each([
    ['platform-controllers:0.1.0', 'IfNotPresent'],
    ['platform-controllers:latest', 'Always'],
    ['platform-controllers', 'Always'],
    ['registry.local:5000/pc', 'Always'],
    ['registry.local:5000/pc:1', 'IfNotPresent'],
    [`pc@sha256:${'a'.repeat(64)}`, 'IfNotPresent'],
    [`pc:latest@sha256:${'a'.repeat(64)}`, 'Always'],
    [`registry.local:5000/pc@sha256:${'a'.repeat(64)}`, 'IfNotPresent'],
  ])('%s: %s', (image, policy) => {
    expect(defaultPullPolicy(image)).toBe(policy);
  });
});
