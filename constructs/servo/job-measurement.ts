import { Chart, Duration } from 'cdk8s';
import type { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import type { FlagInputOf } from '../../lib/api/flags.js';
import {
  DEFAULT_APP_ID_PATH,
  DEFAULT_OPTUNE_URL,
  DEFAULT_POD_NAMESPACES,
  MAX_SERVO_CONCURRENCY,
  SERVO,
  SERVO_FLAGS,
  ServoEnv,
  parseAppIdPath,
  servoOptionsFromFlags,
  servoRules,
  servoWebhook,
  urlPatternProblems,
  type AppIdPath,
  type ServoOptions,
} from '../../lib/api/servo/index.js';
import { controllerImage, type ControllerImageProps } from '../../lib/k8s/image.js';
import { checkDuration, checkObject, checkOptionalString, checkPropsObject, checkString, isPropsObject } from '../../lib/k8s/props.js';
import type { ResourceRequirementsProps } from '../../lib/k8s/resources.js';
import { claimObjectNames } from '../../lib/k8s/unique-objects.js';
import { describeValue, quote, ValidationError } from '../../lib/k8s/validation.js';
import {
  checkConfigKey,
  checkDns1035Label,
  checkDns1123Label,
  checkDns1123Subdomain,
  checkInteger,
  checkListenPort,
  checkQuantity,
  urlCredentialsReason,
} from '../../lib/k8s/validators.js';
import { AdmissionWebhooks, ControllerWorkload, PlatformController, WebhookCertificate, checkRuntimeOptions, constructPath, type ControllerNetworkProps } from '../controller/index.js';
import { EVERYONE, urlPort } from '../../lib/network/index.js';

/** Namespace of a {@link JobMeasurement} in a chart without one. */
export const SERVO_DEFAULT_NAMESPACE = 'servo-system';

/** Container port of the webhook server (PlatformController's default). */
const WEBHOOK_PORT = 9443;
/** Most pods reconciled in parallel (`--workers`). */
const MAX_SERVO_WORKERS = 64;

/** The key of a Secret in the controller's namespace that holds the optimizer's Bearer token. */
export interface AuthTokenSecretProps {
  /** Name of the Secret, in the controller's namespace. */
  readonly name: string;
  /** Key of the value in the Secret. */
  readonly key: string;
}

/** CPU and memory of the monitor sidecar: its request and its limit (equal). */
export interface MonitorResourcesProps {
  /** @default '50m' */
  readonly cpu?: string;
  /** At least 48Mi (the monitor is a Node.js process). @default '64Mi' */
  readonly memory?: string;
}

export interface JobMeasurementProps {
  /**
   * The serving certificate of the admission webhook, which the API server must trust:
   * `WebhookCertificate.fromSecret(secretName, caPem)` or `WebhookCertificate.fromCertManager({ name })`.
   */
  readonly webhookCertificate: WebhookCertificate;
  /**
   * Namespaces whose job pods are measured (`--namespaces`): the webhook is called for pods
   * there, and a Role in each lets the servo read and patch pods and write Events. Not the
   * controller's own namespace. @default ['default'] (the original's POD_NAMESPACES)
   */
  readonly namespaces?: readonly string[];
  /**
   * Where measurements are POSTed (`--url`): `{acct}` is replaced by `account`, `{app_id}` by the
   * job's app id. No credentials in it (give the token as `authTokenSecret`).
   * @default DEFAULT_OPTUNE_URL (the original's OPTUNE_URL)
   */
  readonly url?: string;
  /** The account (`--account`), put into `{acct}` of `url`; required when `url` uses `{acct}`. @default none */
  readonly account?: string;
  /**
   * The Bearer token sent to the optimizer: a key of a Secret in the controller's namespace,
   * given to the container as env `OPTUNE_AUTH_TOKEN` (never written into the manifests).
   * @default none (no Authorization header)
   */
  readonly authTokenSecret?: AuthTokenSecretProps;
  /**
   * Where a pod's app id is (`--app-id-path`): pods in `namespaces` whose app id is a non-empty
   * string and whose `restartPolicy` is not `Always` are jobs.
   * @default DEFAULT_APP_ID_PATH (`spec/containers/0/env/[JOBID]`: env `JOBID` of the first container)
   */
  readonly appIdPath?: string;
  /**
   * Image of the monitor sidecar injected into job pods (`--monitor-image`), which measures
   * their CPU time and peak memory; `false`: no monitor (the pods get only the finalizer, and
   * measurements carry no `cpu_time` and `max_memory`). Its pull policy is the one Kubernetes
   * gives the image (`Always` for `:latest` or no tag, else `IfNotPresent`).
   * @default the controller's image (`image`)
   */
  readonly monitorImage?: ControllerImageProps | false;
  /** How often the monitor samples the job's processes (`--monitor-interval`), at least 10 ms. @default Duration.millis(100) */
  readonly monitorInterval?: Duration;
  /** CPU and memory of the monitor, requests equal to limits (`--monitor-cpu`, `--monitor-memory`). @default { cpu: '50m', memory: '64Mi' } */
  readonly monitorResources?: MonitorResourcesProps;
  /** Namespace of the controller (Deployment, ServiceAccount, Lease, Services); not one of `namespaces`. @default the chart's namespace, else 'servo-system' */
  readonly namespace?: string;
  /** Name of the Deployment, ServiceAccount, Roles, Services (`<name>`, `<name>-webhook`), Lease. @default 'servo' */
  readonly name?: string;
  /** Replicas; one leads (Lease) and reports, all serve the webhook. @default 2 */
  readonly replicas?: number;
  /** Lease duration of leader election, in whole seconds (at least 3). @default Duration.seconds(15) */
  readonly leaseDuration?: Duration;
  /** The platform-controllers image. @default `platform-controllers:<package version>` */
  readonly image?: ControllerImageProps;
  /** Container requests and limits of the controller. @default 100m/128Mi requests, 500m/256Mi limits */
  readonly resources?: ResourceRequirementsProps;
  /** Port of /healthz, /readyz and /metrics (`--metrics-port`); not 9443 (the webhook's). @default 8080 */
  readonly metricsPort?: number;
  /** What its NetworkPolicy allows besides the API server, DNS and the scraper on the metrics port. The optimizer (`url`) is in the cluster or outside: the default allows every pod and address on the URL's port. @default nothing more */
  readonly network?: ControllerNetworkProps;
  /** Pods reconciled in parallel (`--workers`), 1 to 64. @default 4 */
  readonly workers?: number;
  /** Measurements sent at the same time (`--concurrency`), 1 to 256. @default 16 */
  readonly concurrency?: number;
  /** How long after the job container ends the monitor's figures are awaited (`--stats-timeout`), at least 1 second. @default Duration.seconds(30) */
  readonly statsTimeout?: Duration;
  /** Timeout of one POST to the optimizer (`--send-timeout`), at least 100 ms. @default Duration.seconds(10) */
  readonly sendTimeout?: Duration;
  /** Longest wait between two attempts of a measurement (`--max-backoff`), at least 1 second. @default Duration.minutes(5) */
  readonly maxBackoff?: Duration;
}

/** The prop each of the servo's flags comes from, to name it in an error. */
const PROP_OF_FLAG: Readonly<Record<string, string>> = {
  namespace: 'namespace',
  namespaces: 'namespaces',
  url: 'url',
  account: 'account',
  'app-id-path': 'appIdPath',
  'monitor-image': 'monitorImage',
  'monitor-image-pull-policy': 'monitorImage',
  'monitor-interval': 'monitorInterval',
  'monitor-cpu': 'monitorResources.cpu',
  'monitor-memory': 'monitorResources.memory',
  'stats-timeout': 'statsTimeout',
  'send-timeout': 'sendTimeout',
  'max-backoff': 'maxBackoff',
  concurrency: 'concurrency',
  workers: 'workers',
  'metrics-port': 'metricsPort',
};

/** The fields of {@link ControllerImageProps}. */
const IMAGE_FIELDS = ['registry', 'tag', 'digest', 'reference'];

/**
 * Deploys the job measurement daemon (`platform-controllers servo`), the redesign of
 * opsani/servo-k8s-multijob: it reports the duration, CPU time and peak memory of every job pod
 * of the watched namespaces to an optimizer (`url`), one POST per job.
 *
 * A {@link PlatformController} with the servo's flags, RBAC and webhook (`lib/api/servo`): a Role
 * in each watched namespace (pods read and patched, Events written; no ClusterRole), its Lease,
 * the metrics Service, and a mutating webhook on pod CREATE in the watched namespaces
 * (`failurePolicy: Ignore`) that adds the measurement finalizer and the monitor sidecar to job
 * pods, with its Service and certificate.
 *
 * ```ts
 * new JobMeasurement(chart, 'servo', {
 *   namespaces: ['batch'],
 *   account: 'acme',
 *   authTokenSecret: { name: 'optune-token', key: 'token' },
 *   webhookCertificate: WebhookCertificate.fromCertManager({ name: 'ca', kind: 'ClusterIssuer' }),
 * });
 * ```
 */
export class JobMeasurement extends PlatformController<typeof SERVO_FLAGS> {
  /** Watched namespaces, sorted: their job pods are measured. */
  readonly namespaces: readonly string[];
  /** What the controller makes of its args (`servoOptionsFromFlags`): the values it runs with. */
  readonly options: ServoOptions;
  /** The controller's Deployment. */
  readonly deployment: k8s.KubeDeployment;
  /** The Service the API server calls the webhook on (`<name>-webhook`). */
  readonly webhookServiceName: string;
  /** The monitor sidecar's image; undefined when the monitor is off. */
  readonly monitorImage?: string;
  /**
   * The env variable whose value is a job's app id, when `appIdPath` reads one
   * (`spec/containers/<i>/env/[NAME]` or `spec/containers/[<container>,name,env]/[NAME]`):
   * `JOBID` by default; undefined for another path.
   */
  readonly appIdEnvName?: string;

  constructor(scope: Construct, id: string, props: JobMeasurementProps) {
    const where = constructPath(scope, id);
    const p = checkPropsObject(where, props, ['webhookCertificate']);
    if (!(p.webhookCertificate instanceof WebhookCertificate)) {
      throw new ValidationError(where, 'webhookCertificate', `must be WebhookCertificate.fromSecret() or WebhookCertificate.fromCertManager(), not ${describeValue(p.webhookCertificate)}`);
    }
    const namespace = checkDns1123Label(where, 'namespace', p.namespace ?? Chart.of(scope).namespace ?? SERVO_DEFAULT_NAMESPACE);
    const name = checkDns1035Label(where, 'name', p.name ?? SERVO);
    const namespaces = checkNamespaces(where, p.namespaces, namespace);
    const url = checkString(where, 'url', p.url ?? DEFAULT_OPTUNE_URL);
    const account = checkOptionalString(where, 'account', p.account);
    checkUrl(where, url, account, p.url === undefined);
    const appIdText = checkString(where, 'appIdPath', p.appIdPath ?? DEFAULT_APP_ID_PATH);
    const appIdPath = parseAppIdPath(appIdText);
    if (typeof appIdPath === 'string') throw new ValidationError(where, 'appIdPath', `${quote(appIdText)}: ${appIdPath}`, appIdText);
    const token = checkTokenSecret(where, p.authTokenSecret);
    const metricsPort = checkListenPort(where, 'metricsPort', p.metricsPort ?? 8080);
    if (metricsPort === WEBHOOK_PORT) throw new ValidationError(where, 'metricsPort', `${metricsPort} is the webhook's port`, metricsPort);
    const workers = checkInteger(where, 'workers', p.workers ?? 4, 1, MAX_SERVO_WORKERS);
    const concurrency = checkInteger(where, 'concurrency', p.concurrency ?? 16, 1, MAX_SERVO_CONCURRENCY);
    const statsMs = checkDuration(where, 'statsTimeout', p.statsTimeout ?? Duration.seconds(30), { minMs: 1000 });
    const sendMs = checkDuration(where, 'sendTimeout', p.sendTimeout ?? Duration.seconds(10), { minMs: 100 });
    const backoffMs = checkDuration(where, 'maxBackoff', p.maxBackoff ?? Duration.minutes(5), { minMs: 1000 });
    // The monitor's image is the controller's unless given; PlatformController checks `image` again.
    const monitorImage = checkMonitorImage(where, p.monitorImage, p.image);
    const monitorArgs = monitorImage === undefined ? {} : checkMonitorSettings(where, p, monitorImage);
    if (monitorImage === undefined) {
      for (const prop of ['monitorInterval', 'monitorResources'] as const) {
        if (p[prop] !== undefined) throw new ValidationError(where, prop, 'is set, but monitorImage is false (no monitor)');
      }
    }
    // PlatformController checks replicas and leaseDuration, naming them.
    const workload = ControllerWorkload.deployment({ replicas: p.replicas, leaseDuration: p.leaseDuration });

    const args = {
      namespaces: namespaces.join(','),
      url,
      ...(account !== undefined ? { account } : {}),
      'app-id-path': appIdText,
      ...monitorArgs,
      'stats-timeout': statsMs,
      'send-timeout': sendMs,
      'max-backoff': backoffMs,
      concurrency,
      workers,
    } satisfies FlagInputOf<typeof SERVO_FLAGS>;
    // What the runtime will make of these args: a value it refuses is refused here, naming the prop.
    const options = checkRuntimeOptions(where, SERVO_FLAGS, { args, metricsPort, namespace, toOptions: servoOptionsFromFlags, propOfFlag: PROP_OF_FLAG });

    super(scope, id, {
      controller: SERVO,
      flags: SERVO_FLAGS,
      args,
      rules: servoRules(namespaces),
      namespace,
      name,
      workload,
      image: p.image,
      resources: p.resources,
      metricsPort,
      network: p.network ?? { allowEgress: EVERYONE.map((peer) => ({ peer, ports: [urlPort(url.replace(/[{}]/g, ''))] })) },
      webhooks: { webhooks: [servoWebhook(namespaces)], certificate: p.webhookCertificate, port: WEBHOOK_PORT },
      env: token ? [{ name: ServoEnv.authToken, valueFrom: { secretKeyRef: { name: token.name, key: token.key } } }] : [],
    });
    this.deployment = this.workload as k8s.KubeDeployment;
    this.namespaces = namespaces;
    this.options = options;
    this.webhookServiceName = (this.node.findChild('webhooks') as AdmissionWebhooks).serviceName;
    if (monitorImage !== undefined) this.monitorImage = monitorImage;
    const envName = appIdEnvNameOf(appIdPath);
    if (envName !== undefined) this.appIdEnvName = envName;
    claimObjectNames(this, where);
  }

  /** True when `namespace` is one it watches (its job pods are measured). */
  watches(namespace: string): boolean {
    return this.namespaces.includes(namespace);
  }

  /**
   * The env variable that makes a pod's container a job of app `appId` (`{ name: 'JOBID', value:
   * appId }` with the default `appIdPath`): put it on the container the path reads. Refused when
   * `appIdPath` does not read an env variable.
   */
  jobEnv(appId: string): k8s.EnvVar {
    const where = `${this.node.path}.jobEnv`;
    if (this.appIdEnvName === undefined) throw new ValidationError(where, 'appIdPath', `${quote(this.options.appIdPath.text)} does not read an env variable: set the app id where it points`);
    return { name: this.appIdEnvName, value: checkString(where, 'appId', appId) };
  }
}

/** `namespaces`: a non-empty list of distinct DNS-1123 labels, not the controller's own, sorted; ['default'] when not given. */
function checkNamespaces(where: string, requested: readonly string[] | undefined, own: string): string[] {
  const ownReason = (ns: string) =>
    `${quote(ns)} is the controller's own namespace, which PlatformController excludes from every webhook (so that a Fail webhook never blocks the pods serving it): its jobs would never get the finalizer or the monitor; deploy the servo in another namespace (namespace)`;
  if (requested === undefined) {
    const list = [DEFAULT_POD_NAMESPACES];
    if (list.includes(own)) throw new ValidationError(where, 'namespaces', `defaults to ["${DEFAULT_POD_NAMESPACES}"], but ${ownReason(own)}, or give namespaces`);
    return list;
  }
  if (!Array.isArray(requested)) throw new ValidationError(where, 'namespaces', `must be a list of namespaces, not ${describeValue(requested)}`, requested);
  if (requested.length === 0) throw new ValidationError(where, 'namespaces', 'is empty: give at least one namespace whose job pods are measured');
  const seen = new Set<string>();
  requested.forEach((ns, i) => {
    checkDns1123Label(where, `namespaces[${i}]`, ns);
    if (seen.has(ns)) throw new ValidationError(where, `namespaces[${i}]`, `${quote(ns)} is given twice`, ns);
    if (ns === own) throw new ValidationError(where, `namespaces[${i}]`, ownReason(ns), ns);
    seen.add(ns);
  });
  return [...seen].sort();
}

/** `url` and `account`: no credentials in the URL, only `{acct}` and `{app_id}`, an account when `{acct}` is used. */
function checkUrl(where: string, url: string, account: string | undefined, byDefault: boolean): void {
  // Before anything that quotes the URL: its credentials are never repeated.
  const credentials = urlCredentialsReason(url, 'a Secret given as authTokenSecret (sent as a Bearer token)');
  if (credentials) throw new ValidationError(where, 'url', credentials);
  for (const problem of urlPatternProblems(url, account)) {
    if (problem.field === 'account') throw new ValidationError(where, 'account', `is required: ${byDefault ? 'the default url (the original\'s OPTUNE_URL)' : 'url'} uses {acct}`);
    throw new ValidationError(where, 'url', problem.reason, url);
  }
}

/** `authTokenSecret`: `{ name, key }` of a Secret, when given. */
function checkTokenSecret(where: string, value: AuthTokenSecretProps | undefined): AuthTokenSecretProps | undefined {
  if (value === undefined) return undefined;
  const s = checkObject(where, 'authTokenSecret', value, ['name', 'key'], true);
  checkDns1123Subdomain(where, 'authTokenSecret.name', s.name, 'Secret');
  checkConfigKey(where, 'authTokenSecret.key', s.key);
  return { name: s.name, key: s.key };
}

/** The monitor's image reference: `monitorImage`, else the controller's image; undefined when `false`. */
function checkMonitorImage(where: string, value: ControllerImageProps | false | undefined, image: ControllerImageProps | undefined): string | undefined {
  if (value === false) return undefined;
  if (value === undefined) return controllerImage(image ?? {}, where, 'image');
  if (!isPropsObject(value)) throw new ValidationError(where, 'monitorImage', `must be an image { registry?, tag?, digest?, reference? } or false, not ${describeValue(value)}`, value);
  const v = checkObject(where, 'monitorImage', value, IMAGE_FIELDS, true);
  return controllerImage(v, where, 'monitorImage');
}

/** The monitor's flags: its image, that image's pull policy, interval and resources. */
function checkMonitorSettings(where: string, p: JobMeasurementProps, image: string): FlagInputOf<typeof SERVO_FLAGS> {
  const intervalMs = checkDuration(where, 'monitorInterval', p.monitorInterval ?? Duration.millis(100), { minMs: 10 });
  const r = checkObject(where, 'monitorResources', p.monitorResources, ['cpu', 'memory']);
  const cpu = checkQuantity(where, 'monitorResources.cpu', r.cpu ?? '50m', { positive: true });
  const memory = checkQuantity(where, 'monitorResources.memory', r.memory ?? '64Mi', { positive: true });
  return {
    'monitor-image': image,
    'monitor-image-pull-policy': defaultPullPolicy(image),
    'monitor-interval': intervalMs,
    'monitor-cpu': cpu,
    'monitor-memory': memory,
  };
}

/**
 * The pull policy the API server gives a container without one (as it does the controller's):
 * `Always` when the tag is `latest` or there is neither tag nor digest, else `IfNotPresent`.
 */
export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  const at = image.indexOf('@');
  const named = at < 0 ? image : image.slice(0, at);
  const colon = named.lastIndexOf(':');
  const tag = colon > named.lastIndexOf('/') ? named.slice(colon + 1) : undefined;
  if (tag === undefined) return at < 0 ? 'Always' : 'IfNotPresent';
  return tag === 'latest' ? 'Always' : 'IfNotPresent';
}

/**
 * The env name an app id path reads, else undefined: `spec/containers/<i>/env/[NAME]`, or
 * `spec/containers/[<container>,name,env]/[NAME]` (the container by name).
 */
function appIdEnvNameOf(path: AppIdPath): string | undefined {
  const steps = [...path.steps];
  const [a, b, c] = steps;
  if (a?.kind !== 'field' || a.name !== 'spec' || b?.kind !== 'field' || b.name !== 'containers' || !c) return undefined;
  let rest: typeof steps;
  if (c.kind === 'field' && /^\d+$/.test(c.name) && steps[3]?.kind === 'field' && steps[3].name === 'env') rest = steps.slice(4);
  else if (c.kind === 'lookup' && c.keyField === 'name' && c.valueField === 'env') rest = steps.slice(3);
  else return undefined;
  const [e] = rest;
  if (rest.length !== 1 || e.kind !== 'lookup' || e.keyField !== 'name' || e.valueField !== 'value') return undefined;
  return e.key;
}
