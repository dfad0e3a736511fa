import { ApiObject, Duration } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { FlagError, renderFlags, type FlagInputOf, type FlagSpec } from '../../lib/api/flags.js';
import { WEBHOOK_CERT_DIR, leaseTiming } from '../../lib/api/manager.js';
import { leaseRules, type ControllerRule } from '../../lib/api/rbac.js';
import { renderWebhookConfigurationRefs, webhookCaInjectRules, type AdmissionWebhookSpec } from '../../lib/api/webhook.js';
import { controllerImage, type ControllerImageProps } from '../../lib/k8s/image.js';
import { onePodAtATime } from '../../lib/k8s/disruption-budget.js';
import { appLabels, selectorLabels } from '../../lib/k8s/labels.js';
import { resolveNamespace } from '../../lib/k8s/namespace.js';
import { memoryQuantityToMiB } from '../../lib/k8s/quantity.js';
import { resourceRequirements, type ResourceRequirementsProps } from '../../lib/k8s/resources.js';
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from '../../lib/k8s/security.js';
import { claimObjectNames } from '../../lib/k8s/unique-objects.js';
import { describeValue, quote, ValidationError } from '../../lib/k8s/validation.js';
import {
  checkDns1035Label,
  checkListenPort,
  checkPort,
  checkPortName,
  checkPositiveInteger,
  dns1035LabelReason,
  ensure,
  envNameReason,
  labelKeyReason,
  labelValueReason,
} from '../../lib/k8s/validators.js';
import type { CustomResourceDeclaration } from '../../lib/api/crd/definition.js';
import { AdmissionWebhooks } from './admission-webhooks.js';
import { CustomResourceDefinition } from './custom-resource-definition.js';
import { ControllerRbac } from './controller-rbac.js';
import { ControllerWorkload } from './controller-workload.js';
import { checkDuration, checkObject, checkOptionalObject, checkOptionalString, checkPropsObject, checkString } from '../../lib/k8s/props.js';
import type { WebhookCertificate } from './webhook-certificate.js';
import { checkControllerNetwork, checkPeer, EVERYONE, NetworkPolicies, type NetworkPeerProps, type NetworkPolicyTarget, type NetworkRuleProps } from '../../lib/network/index.js';

/** A Prometheus-operator `ServiceMonitor` for the metrics Service. */
export interface ServiceMonitorProps {
  /** Scrape interval. @default Duration.seconds(30) */
  readonly interval?: Duration;
  /** Extra labels, e.g. the ones your Prometheus selects ServiceMonitors by. @default none */
  readonly labels?: Record<string, string>;
}

/** Admission webhooks the controller serves. */
export interface ControllerWebhooksProps {
  /** The webhooks, from the controller's `lib/api` folder. */
  readonly webhooks: readonly AdmissionWebhookSpec[];
  /** The serving certificate the API server trusts. */
  readonly certificate: WebhookCertificate;
  /** Container port of the HTTPS server (`--webhook-port`). @default 9443 */
  readonly port?: number;
}

/** A ClusterIP Service for one of the controller's {@link ControllerPortProps ports}. */
export interface ControllerPortServiceProps {
  /** Name of the Service. @default `<controller name>-<port name>` */
  readonly name?: string;
  /** Port of the Service. @default the container port */
  readonly port?: number;
}

/**
 * A port the controller's container serves besides `metrics` and `webhook` (e.g. an API for other
 * workloads of the cluster), declared on the container and, when asked, behind a Service.
 */
export interface ControllerPortProps {
  /** Name of the container port, e.g. `prediction` (lower-case, at most 15 characters; not `metrics` or `webhook`). */
  readonly name: string;
  /** The TCP port the container listens on, from 1024 (the container runs as non-root). */
  readonly port: number;
  /** A ClusterIP Service for this port, selecting the controller's pods. @default none */
  readonly service?: ControllerPortServiceProps;
  /** Who may connect to it (the controller's NetworkPolicy). @default EVERYONE: every pod and address */
  readonly allowFrom?: readonly NetworkPeerProps[];
}

/**
 * What a controller's NetworkPolicy allows besides DNS, the API server, the scraper on the
 * metrics port, the API server on the webhook port and its {@link ControllerPortProps ports}' clients.
 */
export interface ControllerNetworkProps {
  /** More ingress. @default none */
  readonly allowIngress?: readonly NetworkRuleProps[];
  /** More egress (e.g. the services a controller calls). @default none */
  readonly allowEgress?: readonly NetworkRuleProps[];
  /** Ports of the scraper (Prometheus) it queries. @default none */
  readonly queriesScraper?: readonly number[];
}

export interface PlatformControllerProps<S extends readonly FlagSpec[] = readonly FlagSpec[]> {
  /** The controller in the platform-controllers image, its first argument (e.g. `config-aggregator`). */
  readonly controller: string;
  /** The controller's flag spec, from its `lib/api` folder (including the manager's flags). */
  readonly flags: S;
  /** Values of the controller's own flags; the manager's (port, leader election) are set here. */
  readonly args: FlagInputOf<S>;
  /** RBAC the controller needs, from its `lib/api` folder; the Lease rules are added when leader-elected. */
  readonly rules: readonly ControllerRule[];
  /** Namespace of the controller. @default the chart's namespace */
  readonly namespace?: string;
  /** Name of its Deployment/DaemonSet, ServiceAccount, Roles, Service, Lease. @default `controller` */
  readonly name?: string;
  /** Leader-elected Deployment or per-node DaemonSet. @default ControllerWorkload.deployment() (2 replicas, 15 s lease) */
  readonly workload?: ControllerWorkload;
  /** The platform-controllers image. @default `platform-controllers:<package version>` */
  readonly image?: ControllerImageProps;
  /** Container requests and limits. @default 100m/128Mi requests, 500m/256Mi limits */
  readonly resources?: ResourceRequirementsProps;
  /** Port of /healthz, /readyz and /metrics (`--metrics-port`). @default 8080 */
  readonly metricsPort?: number;
  /** A ServiceMonitor for the metrics Service (needs the Prometheus operator's CRDs). @default none */
  readonly serviceMonitor?: ServiceMonitorProps;
  /** Admission webhooks it serves. @default none */
  readonly webhooks?: ControllerWebhooksProps;
  /** More TCP ports the container serves, each optionally behind a ClusterIP Service. @default none */
  readonly ports?: readonly ControllerPortProps[];
  /** Extra environment of the container, e.g. a token from a Secret. @default none */
  readonly env?: readonly k8s.EnvVar[];
  /** Custom resources the controller owns, from its `lib/api` folder: their CRDs are emitted with it. @default none */
  readonly customResources?: readonly CustomResourceDeclaration<any>[];
  /** Its network beyond the API server, DNS, metrics and webhooks. @default nothing more */
  readonly network?: ControllerNetworkProps;
}

/**
 * One controller of the platform-controllers image, deployed the way every controller of this
 * library is: ServiceAccount; the least RBAC from the rules of its `lib/api` folder (Roles
 * wherever a rule allows, a ClusterRole only for the rest, its Lease when leader-elected); a
 * Deployment of leader-elected replicas or a per-node DaemonSet with args rendered from the typed
 * flags (so construct and runtime cannot drift), restricted security contexts, probes, a heap
 * sized from the memory limit; a PodDisruptionBudget; the metrics Service (and a ServiceMonitor
 * when asked); the CRDs of the custom resources it owns; optionally admission webhooks with their
 * Service, certificate and configurations (with a generated certificate, the flag and RBAC for
 * the controller to inject the CA into them), and more ports (`ports`) with their Services.
 *
 * Controller constructs (`ConfigAggregator`, `SecretGenerator`, ...) are thin layers on it.
 */
export class PlatformController<S extends readonly FlagSpec[] = readonly FlagSpec[]> extends Construct {
  readonly namespace: string;
  readonly name: string;
  readonly serviceAccountName: string;
  /** The container's args: the controller, then its flags. */
  readonly args: readonly string[];
  /** Every RBAC rule granted, the Lease's and the webhook CA injection's included. */
  readonly rules: readonly ControllerRule[];
  /** The Deployment or DaemonSet. */
  readonly workload: ApiObject;
  /** Name of the Lease when leader-elected. */
  readonly leaseName?: string;
  /** Pod selector labels. */
  readonly selector: Record<string, string>;
  /** The CRDs it owns, by `<plural>.<group>`. */
  readonly customResourceDefinitions: ReadonlyMap<string, CustomResourceDefinition>;
  /** The `app.kubernetes.io/*` labels of its objects. */
  readonly labels: Record<string, string>;
  /** The Services of its extra {@link PlatformControllerProps.ports ports}, by port name. */
  readonly portServices: ReadonlyMap<string, k8s.KubeService>;
  /** The NetworkPolicy of its pods. */
  readonly networkPolicy: NetworkPolicyTarget;

  constructor(scope: Construct, id: string, props: PlatformControllerProps<S>) {
    super(scope, id);
    const where = this.node.path;
    const p = checkPropsObject(where, props, ['controller', 'flags', 'args', 'rules']);
    const controller = checkString(where, 'controller', p.controller);
    if (!Array.isArray(p.flags)) throw new ValidationError(where, 'flags', `must be the controller's flag spec (a list), not ${describeValue(p.flags)}`, p.flags);
    checkOptionalObject(where, 'args', p.args as unknown, 'an object of flag values');
    checkList(where, 'rules', p.rules);
    const namespace = resolveNamespace(this, where, p.namespace);
    // The name is also the metrics Service's (and `<name>-webhook`, the webhook Service's).
    const name = checkDns1035Label(where, 'name', p.name ?? controller);
    if (p.webhooks !== undefined) {
      const reason = dns1035LabelReason(`${name}-webhook`);
      if (reason) throw new ValidationError(where, 'name', `${quote(name)} is too long or invalid for the derived webhook Service name: ${reason}`, name);
    }
    const workload = p.workload ?? ControllerWorkload.deployment();
    if (!(workload instanceof ControllerWorkload)) {
      throw new ValidationError(where, 'workload', `must be ControllerWorkload.deployment() or ControllerWorkload.daemonSet(), not ${describeValue(workload)}`, workload);
    }
    const replicas = workload.replicas;
    if (replicas !== undefined) checkPositiveInteger(where, 'replicas', replicas);
    const leaseMs = workload.leaseDuration === undefined ? undefined : checkDuration(where, 'leaseDuration', workload.leaseDuration, { minMs: 3000, wholeSeconds: true });
    const leaseSeconds = leaseMs === undefined ? undefined : leaseMs / 1000;
    const port = checkListenPort(where, 'metricsPort', p.metricsPort ?? 8080);
    const webhooksProps = checkOptionalObject(where, 'webhooks', p.webhooks, 'an object { webhooks, certificate, port? }');
    const webhookPort = webhooksProps?.port ?? 9443;
    if (webhooksProps) {
      checkListenPort(where, 'webhooks.port', webhookPort);
      if (webhookPort === port) throw new ValidationError(where, 'webhooks.port', `${webhookPort} is the metrics port`, webhookPort);
    }
    // Checked before the args and RBAC are made: a generated certificate adds to both.
    const caInjection = webhooksProps ? AdmissionWebhooks.check(where, { ...webhooksProps, name, namespace }) : [];
    const imageProps = checkOptionalObject(where, 'image', p.image, 'an object { registry?, tag?, digest?, reference? }') ?? {};
    for (const key of Object.keys(imageProps)) {
      if (!IMAGE_FIELDS.includes(key)) throw new ValidationError(where, `image.${key}`, `unknown field (expected one of ${IMAGE_FIELDS.join(', ')})`);
      checkOptionalString(where, `image.${key}`, (imageProps as Record<string, unknown>)[key]);
    }
    const image = controllerImage(imageProps, where, 'image');
    const resources = resourceRequirements(p.resources, where, 'resources');
    const serviceMonitor = checkOptionalObject(where, 'serviceMonitor', p.serviceMonitor, 'an object { interval?, labels? }');
    const scrapeMs = serviceMonitor === undefined ? undefined : checkDuration(where, 'serviceMonitor.interval', serviceMonitor.interval ?? Duration.seconds(30), { minMs: 1000, wholeSeconds: true });
    if (serviceMonitor?.labels !== undefined) checkLabels(where, 'serviceMonitor.labels', serviceMonitor.labels);
    const env = checkEnvList(where, 'env', p.env, workload.kind === 'DaemonSet');
    const extraPorts = checkPorts(where, 'ports', p.ports, {
      name,
      ports: new Map<number, string>([[port, 'metricsPort'], ...(webhooksProps ? [[webhookPort, 'webhooks.port'] as [number, string]] : [])]),
      services: new Map<string, string>([[name, 'the metrics Service'], ...(webhooksProps ? [[`${name}-webhook`, 'the webhook Service'] as [string, string]] : [])]),
    });
    const customResources = checkList(where, 'customResources', p.customResources) ?? [];
    checkControllerNetwork(where, 'network', p.network);
    // Node sizes its heap from the machine, not the container: cap the old generation at half
    // the memory limit, so that garbage is collected long before the limit (measured with the
    // config aggregator: RSS 120 MB instead of 220 MB with 10,000 ConfigMaps and a 256Mi limit).
    const limitMiB = memoryQuantityToMiB(resources.limits!.memory!.value as string);
    const heapMiB = limitMiB ? Math.max(32, Math.floor(limitMiB / 2)) : undefined;

    const leaseName = leaseSeconds !== undefined ? name : undefined;
    const managerArgs: Record<string, string | number | boolean> = { 'metrics-port': port };
    if (leaseName !== undefined) {
      const timing = leaseTiming(leaseSeconds! * 1000);
      Object.assign(managerArgs, {
        'leader-election-id': leaseName,
        'lease-duration': timing.leaseDurationMs,
        'renew-deadline': timing.renewDeadlineMs,
        'retry-period': timing.retryPeriodMs,
      });
    } else {
      managerArgs['leader-elect'] = false;
    }
    if (webhooksProps) Object.assign(managerArgs, { 'webhook-port': webhookPort, 'webhook-cert-dir': WEBHOOK_CERT_DIR });
    if (caInjection.length) managerArgs['webhook-ca-inject'] = renderWebhookConfigurationRefs(caInjection);
    const values = { ...(p.args as Record<string, unknown>) };
    for (const key of Object.keys(managerArgs)) {
      if (key in values) throw new ValidationError(where, `args.${key}`, 'is set by PlatformController from its own props');
    }
    let flagArgs: string[];
    try {
      flagArgs = renderFlags(p.flags, { ...values, ...managerArgs } as FlagInputOf<S>);
    } catch (err) {
      if (err instanceof FlagError) throw new ValidationError(where, `args.${err.flag}`, err.message.replace(/^--\S+: /, ''));
      throw err;
    }
    for (const spec of p.flags) {
      // Required flags with an env fallback (the namespace) come from the pod's env.
      if (spec.required && !spec.env && spec.default === undefined && values[spec.name] === undefined) {
        throw new ValidationError(where, `args.${spec.name}`, 'is required by the controller');
      }
    }

    this.namespace = namespace;
    this.name = name;
    this.serviceAccountName = name;
    this.leaseName = leaseName;
    this.args = [controller, ...flagArgs];
    this.rules = [...p.rules, ...(leaseName ? leaseRules(leaseName) : []), ...webhookCaInjectRules(caInjection)];

    const ids = { name: controller, instance: name, component: 'controller', partOf: 'platform-controllers' };
    const labels = appLabels(ids);
    const selector = selectorLabels(ids);
    this.selector = selector;
    this.labels = labels;
    const meta = (n: string) => ({ name: n, namespace, labels });

    const crds = new Map<string, CustomResourceDefinition>();
    for (const declaration of customResources) {
      if (crds.has(declaration.name)) throw new ValidationError(where, 'customResources', `${declaration.name} is given twice`, declaration.name);
      crds.set(declaration.name, new CustomResourceDefinition(this, `crd-${declaration.name}`, { definition: declaration, labels }));
    }
    this.customResourceDefinitions = crds;

    new k8s.KubeServiceAccount(this, 'service-account', { metadata: meta(name), automountServiceAccountToken: true });
    new ControllerRbac(this, 'rbac', { rules: this.rules, name, namespace, labels });
    const webhooks = webhooksProps
      ? new AdmissionWebhooks(this, 'webhooks', { ...webhooksProps, name, namespace, labels, selector })
      : undefined;

    const probe = (path: string, extra: Partial<k8s.Probe> = {}): k8s.Probe => ({
      httpGet: { path, port: k8s.IntOrString.fromString('metrics') },
      periodSeconds: 10,
      timeoutSeconds: 2,
      ...extra,
    });
    const fieldEnv = (envName: string, fieldPath: string): k8s.EnvVar => ({ name: envName, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath } } });
    const podSpec: k8s.PodSpec = {
      serviceAccountName: name,
      automountServiceAccountToken: true,
      enableServiceLinks: false,
      terminationGracePeriodSeconds: 30,
      securityContext: restrictedPodSecurityContext() as k8s.PodSecurityContext,
      ...(workload.kind === 'Deployment'
        ? {
            affinity: {
              podAntiAffinity: {
                preferredDuringSchedulingIgnoredDuringExecution: [
                  { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: selector } } },
                ],
              },
            },
          }
        : {}),
      containers: [
        {
          name: 'controller',
          image,
          args: [...this.args],
          env: [
            fieldEnv('NAMESPACE', 'metadata.namespace'),
            fieldEnv('POD_NAME', 'metadata.name'),
            ...(workload.kind === 'DaemonSet' ? [fieldEnv('NODE_NAME', 'spec.nodeName')] : []),
            ...(heapMiB ? [{ name: 'NODE_OPTIONS', value: `--max-old-space-size=${heapMiB}` }] : []),
            ...env,
          ],
          ports: [
            { name: 'metrics', containerPort: port, protocol: 'TCP' },
            ...(webhooks ? [{ name: 'webhook', containerPort: webhookPort, protocol: 'TCP' }] : []),
            ...extraPorts.map((x) => ({ name: x.name, containerPort: x.port, protocol: 'TCP' })),
          ],
          securityContext: restrictedContainerSecurityContext() as k8s.SecurityContext,
          resources,
          startupProbe: probe('/healthz', { periodSeconds: 2, failureThreshold: 30 }),
          livenessProbe: probe('/healthz', { failureThreshold: 3 }),
          readinessProbe: probe('/readyz', { periodSeconds: 5, failureThreshold: 2 }),
          ...(webhooks ? { volumeMounts: [{ name: 'webhook-cert', mountPath: WEBHOOK_CERT_DIR, readOnly: true }] } : {}),
        },
      ],
      ...(webhooks ? { volumes: [{ name: 'webhook-cert', secret: { secretName: webhooks.secretName, defaultMode: 0o440 } }] } : {}),
    };
    const template = { metadata: { labels }, spec: podSpec };
    this.workload =
      workload.kind === 'Deployment'
        ? new k8s.KubeDeployment(this, 'deployment', {
            metadata: meta(name),
            spec: {
              replicas,
              revisionHistoryLimit: 3,
              selector: { matchLabels: selector },
              strategy: {
                type: 'RollingUpdate',
                rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(0), maxSurge: k8s.IntOrString.fromNumber(1) },
              },
              template,
            },
          })
        : new k8s.KubeDaemonSet(this, 'daemon-set', {
            metadata: meta(name),
            spec: {
              revisionHistoryLimit: 3,
              selector: { matchLabels: selector },
              updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(1) } },
              template,
            },
          });

    new k8s.KubeService(this, 'service', {
      metadata: meta(name),
      spec: {
        type: 'ClusterIP',
        selector,
        ports: [{ name: 'metrics', port, targetPort: k8s.IntOrString.fromString('metrics'), protocol: 'TCP' }],
      },
    });
    const portServices = new Map<string, k8s.KubeService>();
    for (const x of extraPorts) {
      if (!x.service) continue;
      portServices.set(
        x.name,
        new k8s.KubeService(this, `service-${x.name}`, {
          metadata: meta(x.service.name),
          spec: {
            type: 'ClusterIP',
            selector,
            ports: [{ name: x.name, port: x.service.port, targetPort: k8s.IntOrString.fromString(x.name), protocol: 'TCP' }],
          },
        }),
      );
    }
    this.portServices = portServices;
    const network = p.network;
    this.networkPolicy = NetworkPolicies.of(this).add(this, where, {
      name,
      namespace,
      podSelector: selector,
      podLabels: labels,
      apiServer: true,
      metricsPorts: [port],
      webhookPorts: webhooks ? [webhookPort] : undefined,
      queriesScraper: network?.queriesScraper,
      allowIngress: [
        ...extraPorts.flatMap((x) => (x.allowFrom ?? EVERYONE).map((peer) => ({ peer, ports: [x.port] }))),
        ...(network?.allowIngress ?? []),
      ],
      allowEgress: network?.allowEgress,
    });
    if (workload.kind === 'Deployment') onePodAtATime(this, meta(name), selector);
    if (serviceMonitor) {
      new ApiObject(this, 'service-monitor', {
        apiVersion: 'monitoring.coreos.com/v1',
        kind: 'ServiceMonitor',
        metadata: { name, namespace, labels: { ...labels, ...(serviceMonitor.labels ?? {}) } },
        spec: {
          selector: { matchLabels: selector },
          namespaceSelector: { matchNames: [namespace] },
          endpoints: [{ port: 'metrics', path: '/metrics', interval: `${scrapeMs! / 1000}s` }],
        },
      });
    }
    claimObjectNames(this, where);
  }
}

/** The fields of {@link ControllerImageProps}. */
const IMAGE_FIELDS = ['registry', 'tag', 'digest', 'reference'];

/** Env names the construct sets on the container itself. */
const OWN_ENV = ['NAMESPACE', 'POD_NAME', 'NODE_OPTIONS'];

/** A list prop (`undefined`: not given). */
function checkList<T>(where: string, field: string, value: readonly T[] | undefined): readonly T[] | undefined {
  if (value !== undefined && !Array.isArray(value)) throw new ValidationError(where, field, `must be a list, not ${describeValue(value)}`, value);
  return value;
}

/** Labels given as a prop: valid keys and values. */
function checkLabels(where: string, field: string, labels: Record<string, string>): void {
  checkOptionalObject(where, field, labels, 'an object of label key: value strings');
  for (const [k, v] of Object.entries(labels)) {
    ensure(where, `${field}.${k}`, k, labelKeyReason(k));
    ensure(where, `${field}.${k}`, v, labelValueReason(v));
  }
}

/**
 * Extra env of the container: a list of EnvVars with valid names, a string `value` or a
 * `valueFrom`, none of the names the construct sets itself.
 */
function checkEnvList(where: string, field: string, env: readonly k8s.EnvVar[] | undefined, daemonSet: boolean): readonly k8s.EnvVar[] {
  const own = daemonSet ? [...OWN_ENV, 'NODE_NAME'] : OWN_ENV;
  (checkList(where, field, env) ?? []).forEach((e, i) => {
    const at = `${field}[${i}]`;
    checkOptionalObject(where, at, e, 'an EnvVar { name, value } or { name, valueFrom }');
    ensure(where, `${at}.name`, e.name, envNameReason(e.name));
    if (own.includes(e.name)) throw new ValidationError(where, `${at}.name`, `${quote(e.name)} is set by PlatformController`, e.name);
    if (e.value !== undefined && typeof e.value !== 'string') throw new ValidationError(where, `${at}.value`, `must be a string, not ${describeValue(e.value)}`, e.value);
    if (e.value !== undefined && e.valueFrom !== undefined) throw new ValidationError(where, at, 'give value or valueFrom, not both');
  });
  return env ?? [];
}

/** Port names the construct gives itself. */
const OWN_PORT_NAMES = ['metrics', 'webhook'];

/** An extra port, checked, with its Service's name and port resolved. */
interface CheckedPort {
  readonly name: string;
  readonly port: number;
  readonly service?: { readonly name: string; readonly port: number };
  readonly allowFrom?: readonly NetworkPeerProps[];
}

/**
 * The `ports` prop: a list of `{ name, port, service? }` with valid, unique names and ports, none
 * of the construct's own (`taken.ports`: port -> the prop that holds it), and Service names that
 * are valid and not the construct's own Services.
 */
function checkPorts(
  where: string,
  field: string,
  list: readonly ControllerPortProps[] | undefined,
  taken: { readonly name: string; readonly ports: ReadonlyMap<number, string>; readonly services: ReadonlyMap<string, string> },
): CheckedPort[] {
  const out: CheckedPort[] = [];
  const ports = new Map(taken.ports);
  const services = new Map(taken.services);
  (checkList(where, field, list) ?? []).forEach((item, i) => {
    const at = `${field}[${i}]`;
    const x = checkObject(where, at, item, ['name', 'port', 'service', 'allowFrom'], true);
    const allowFrom = checkList(where, `${at}.allowFrom`, x.allowFrom);
    allowFrom?.forEach((peer, j) => checkPeer(where, `${at}.allowFrom[${j}]`, peer));
    const portName = checkPortName(where, `${at}.name`, x.name);
    if (OWN_PORT_NAMES.includes(portName)) throw new ValidationError(where, `${at}.name`, `${quote(portName)} is a port of PlatformController itself`, portName);
    if (out.some((o) => o.name === portName)) throw new ValidationError(where, `${at}.name`, `${quote(portName)} is given twice`, portName);
    const port = checkListenPort(where, `${at}.port`, x.port);
    const holder = ports.get(port);
    if (holder !== undefined) throw new ValidationError(where, `${at}.port`, `${port} is already the port of ${holder}`, port);
    ports.set(port, `${at}.port`);
    let service: CheckedPort['service'];
    if (x.service !== undefined) {
      const s = checkObject(where, `${at}.service`, x.service, ['name', 'port']);
      const serviceName = s.name ?? `${taken.name}-${portName}`;
      const bad = dns1035LabelReason(serviceName);
      if (bad) throw new ValidationError(where, `${at}.service.name`, s.name === undefined ? `the derived name is invalid (give one): ${bad}` : bad, serviceName);
      const owner = services.get(serviceName);
      if (owner !== undefined) throw new ValidationError(where, `${at}.service.name`, `${quote(serviceName)} is already the name of ${owner}`, serviceName);
      services.set(serviceName, `the Service of ${at}`);
      service = { name: serviceName, port: checkPort(where, `${at}.service.port`, s.port ?? port) };
    }
    out.push({ name: portName, port, ...(service ? { service } : {}), ...(allowFrom ? { allowFrom } : {}) });
  });
  return out;
}

/** The path a construct `id` under `scope` will have: for checks before `super()`. */
export function constructPath(scope: Construct, id: string): string {
  return scope.node.path ? `${scope.node.path}/${id}` : id;
}
