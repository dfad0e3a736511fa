import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { ModuleOutputs, type ModuleEndpointProps } from '../../lib/contract/index.js';
import { EVERYONE } from '../../lib/network/index.js';
import { ISSUER_CERT_KEY, ISSUER_KEY_KEY } from '../../lib/api/secret-generator/index.js';
import { GeneratedSecret, SecretValue, type CertificateProps } from '../secret-generator/index.js';
import { resolveNamespace } from '../../lib/k8s/namespace.js';
import { checkInstance, checkMetadataMap, checkObject, checkStringList } from '../../lib/k8s/props.js';
import { plainResources, scratchVolume, type ResourceRequirementsProps } from '../../lib/k8s/resources.js';
import { UNPRIVILEGED_ID } from '../../lib/k8s/security.js';
import { claimObjectNames } from '../../lib/k8s/unique-objects.js';
import { describeValue, isPlainObject, quote, showValue, ValidationError } from '../../lib/k8s/validation.js';
import { checkDns1035Label, checkImage, checkInteger, checkPort, checkReplicas, dns1123LabelReason, hostNameReason } from '../../lib/k8s/validators.js';
import { ModuleEnv } from './module-env.js';
import { CORS_DEFAULT_HEADERS, ingressListenPorts, INGRESS_PATHS, renderIngressConfig, type CorsConfig } from './ingress-config.js';
import { IngressClientCa, IngressTls } from './ingress-tls.js';
import { commonNameReason } from './authentication.js';
import { checkPodSettings, podSettingsSpec, POD_SETTINGS_PROPS, type PodSettingsProps } from './props.js';
import { armonikPodLabels, buildService, buildWorkload, type Workload } from './workload.js';

/** nginx of the ingress: `nginxinc/nginx-unprivileged`, at the tag ArmoniK 2.23.0 pins (`versions.tfvars.json`, `image_tags`). */
export const INGRESS_IMAGE = 'nginxinc/nginx-unprivileged:1.29.5-alpine-slim';

/** Mutual TLS (ArmoniK.Infra's `mtls`): clients must present a certificate the client CA signed. */
export interface IngressMtlsOptions {
  /** The client CA. @default IngressClientCa.generated() */
  readonly clientCa?: IngressClientCa;
  /**
   * Client certificates to generate, by ArmoniK user name (Infra's `generate_certs_for`): one Secret
   * `<ingress>-client-<user>` each (`tls.crt`, `tls.key`, and `ca.crt`: the CA of the ingress's own
   * certificate, to trust it), signed by the generated client CA. `ArmoniK` stores each for its user.
   * @default none
   */
  readonly clientCertificates?: Readonly<Record<string, { readonly commonName?: string }>>;
  /**
   * Common names of clients that may name the caller they forward (`X-Certificate-Client-CN` and
   * `-Fingerprint` headers), such as ArmoniK's load balancer (Infra's `trusted_cns`). @default none
   */
  readonly trustedCommonNames?: readonly string[];
}

/** CORS of the gRPC API (Infra's `nginx.cors`). */
export interface IngressCorsOptions {
  /** `Access-Control-Allow-Origin`: `*` or an origin (`https://host[:port]`). @default '*' */
  readonly allowedHost?: string;
  /** Headers allowed besides Infra's defaults. @default none */
  readonly allowedHeaders?: readonly string[];
  /** @default ['GET', 'POST', 'OPTIONS'] */
  readonly allowedMethods?: readonly string[];
  /** Seconds a preflight answer is cached. @default 1728000 */
  readonly preflightMaxAge?: number;
}

/** Props of {@link ArmoniKIngress}: ArmoniK.Infra 0.15.1's `ingress` module variables, typed. */
export interface ArmoniKIngressProps extends PodSettingsProps {
  /** Namespace. @default the chart's namespace */
  readonly namespace?: string;
  /** Name of the Deployment, Service and ConfigMap, prefix of the Secrets. @default 'ingress' */
  readonly name?: string;
  /**
   * The control plane's gRPC endpoint, `host:port` (a `ControlPlane` has it as `endpoint`). Given as
   * a `ControlPlane`, the NetworkPolicies let the ingress reach its pods; given as a string, allow it
   * with `workload.networkPolicy.allowTo(...)`.
   */
  readonly controlPlane: string | { readonly endpoint: string; readonly podsEndpoint?: ModuleEndpointProps };
  /** The admin GUI at `/admin/` (an `AdminGui`, whose pods then accept the ingress, or its URL `http://host:port`). @default none */
  readonly adminGui?: string | { readonly url: string; readonly podsEndpoint?: ModuleEndpointProps };
  /** Grafana at `/grafana/` (URL `http://host:port`). @default none */
  readonly grafana?: string;
  /** Seq at `/seq/` (URL `http://host:port`). @default none */
  readonly seq?: string;
  /** The server certificate, or `false` for plain HTTP (Infra's `tls = null`). @default IngressTls.generated() */
  readonly tls?: IngressTls | false;
  /** Mutual TLS. @default none: any client (authentication, if on, then refuses everyone) */
  readonly mtls?: IngressMtlsOptions;
  /** CORS headers on the gRPC API, e.g. `{}` for Infra's (`*`). @default none: the GUI is served from the same origin */
  readonly cors?: IngressCorsOptions;
  /** The Service. @default type LoadBalancer (Infra's), no annotations */
  readonly service?: { readonly type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer'; readonly annotations?: Readonly<Record<string, string>> };
  /** Service port of the HTTP side (GUI, gRPC-web). @default 5000 (Infra's `http_port`) */
  readonly httpPort?: number;
  /** Service port of the gRPC side. @default 5001 (Infra's `grpc_port`) */
  readonly grpcPort?: number;
  /** Languages of the GUI (`/admin/<lang>/`), `en` among them. @default ['en'] */
  readonly langs?: readonly string[];
  /** The DNS server nginx resolves the upstreams with. @default 'kube-dns.kube-system.svc.cluster.local' */
  readonly resolver?: string;
  /** Image. @default INGRESS_IMAGE */
  readonly image?: string;
  /** Replicas. @default 1 */
  readonly replicas?: number;
  /** Requests and limits. @default 50m/64Mi requests, 1/256Mi limits */
  readonly resources?: ResourceRequirementsProps;
}

/** A client certificate the ingress generates. */
export interface IngressClientCertificate {
  readonly username: string;
  readonly commonName: string;
  /** The Secret: `tls.crt`, `tls.key`, `ca.crt` (the ingress's server CA). */
  readonly secretName: string;
}

const PROPS: ReadonlyArray<keyof ArmoniKIngressProps> = [
  'namespace', 'name', 'controlPlane', 'adminGui', 'grafana', 'seq', 'tls', 'mtls', 'cors', 'service', 'httpPort', 'grpcPort', 'langs', 'resolver',
  'image', 'replicas', 'resources', ...POD_SETTINGS_PROPS,
];
/** Languages the GUI image builds (ArmoniK.Admin.GUI `nginx/nginx.conf`: `/admin/en`, `/admin/fr`). */
const GUI_LANGS = ['en', 'fr'];
const HEALTH_PORT = 8081;
/**
 * uid and gid of the pods: nginx-unprivileged names `nginx` (101) but runs as any user (its
 * files are readable by all; here it writes only to the emptyDirs), so above 10000.
 */
const NGINX_UID = UNPRIVILEGED_ID;

/**
 * ArmoniK's ingress (ArmoniK.Infra `armonik/ingress/`): nginx in front of the control plane's gRPC
 * API, the admin GUI (`/admin/`) and, optionally, Grafana and Seq, with TLS and mutual TLS. With
 * mTLS, nginx verifies the client certificate and passes its common name and fingerprint to Core
 * (`X-Certificate-Client-CN`, `X-Certificate-Client-Fingerprint`), which identifies the user; a
 * client's own such headers are ignored unless its certificate's name is trusted.
 *
 * Every certificate is made in the cluster (the secret generator must watch the namespace), by
 * cert-manager, or referenced: the manifests carry none. The pod is PodSecurity `restricted`
 * (nginx-unprivileged as uid 10001, read-only root, `/tmp` and `/var/cache/nginx` emptyDirs); its configuration is a
 * ConfigMap whose hash rolls the pods. A renewed certificate reaches nginx at its next restart.
 */
export class ArmoniKIngress extends Construct {
  public readonly name: string;
  public readonly namespace: string;
  /** The nginx server configuration. */
  public readonly config: string;
  public readonly configMap: ApiObject;
  public readonly workload: Workload;
  public readonly service: ApiObject;
  public readonly tls: boolean;
  public readonly mtls: boolean;
  /** The Secret with the server certificate (`tls.crt`, `tls.key`), with TLS. */
  public readonly tlsSecretName?: string;
  /** The Secret whose `tls.crt` clients trust, when generated. */
  public readonly serverCaSecretName?: string;
  /** The Secret of the client CA, with mTLS. */
  public readonly clientCaSecretName?: string;
  public readonly clientCertificates: readonly IngressClientCertificate[];
  /** `<scheme>://<name>.<namespace>.svc.cluster.local:<grpcPort>`. */
  public readonly endpoint: string;

  constructor(scope: Construct, id: string, props: ArmoniKIngressProps) {
    super(scope, id);
    const where = `ArmoniKIngress ${this.node.path}`;
    props = checkObject(where, 'props', props, PROPS, true);
    this.namespace = resolveNamespace(this, where, props.namespace);
    // The Service's name (DNS-1035); the Secrets' prefix.
    this.name = checkDns1035Label(where, 'name', props.name ?? 'ingress');
    if (this.name.length > 40) throw new ValidationError(where, 'name', `at most 40 characters: it prefixes its Secrets (<name>-client-<user>)`, this.name);
    const controlPlane = checkHostPort(where, 'controlPlane', typeof props.controlPlane === 'object' && props.controlPlane !== null ? props.controlPlane.endpoint : props.controlPlane);
    const adminGui = props.adminGui === undefined ? undefined : checkUpstreamUrl(where, 'adminGui', typeof props.adminGui === 'object' && props.adminGui !== null ? props.adminGui.url : props.adminGui);
    const grafana = props.grafana === undefined ? undefined : checkUpstreamUrl(where, 'grafana', props.grafana);
    const seq = props.seq === undefined ? undefined : checkUpstreamUrl(where, 'seq', props.seq);
    const tlsSource = props.tls === false ? undefined : checkInstance(where, 'tls', props.tls, IngressTls, 'IngressTls.generated(), .fromSecret() or .fromCertManager(), or false') ?? IngressTls.generated();
    this.tls = tlsSource !== undefined;
    const mtls = props.mtls === undefined ? undefined : checkObject<IngressMtlsOptions>(where, 'mtls', props.mtls, ['clientCa', 'clientCertificates', 'trustedCommonNames']);
    this.mtls = mtls !== undefined;
    if (mtls && !tlsSource) throw new ValidationError(where, 'mtls', `needs TLS: give tls (or leave it out for a generated certificate) rather than false`);
    const httpPort = checkPort(where, 'httpPort', props.httpPort ?? 5000);
    const grpcPort = checkPort(where, 'grpcPort', props.grpcPort ?? 5001);
    if (httpPort === grpcPort) throw new ValidationError(where, 'grpcPort', `${grpcPort} is httpPort too; the Service needs two ports`, grpcPort);
    const service = checkObject<NonNullable<ArmoniKIngressProps['service']>>(where, 'service', props.service, ['type', 'annotations']);
    const serviceType = service.type ?? 'LoadBalancer';
    if (!['ClusterIP', 'NodePort', 'LoadBalancer'].includes(serviceType)) throw new ValidationError(where, 'service.type', `${showValue(serviceType)} is not 'ClusterIP', 'NodePort' or 'LoadBalancer'`, serviceType);
    checkMetadataMap(where, 'service.annotations', service.annotations as Record<string, string> | undefined, 'annotation');
    const langs = checkStringList(where, 'langs', props.langs ?? ['en']);
    langs.forEach((l, i) => {
      if (!GUI_LANGS.includes(l)) throw new ValidationError(where, `langs[${i}]`, `${quote(l)} is not a language of the GUI (${GUI_LANGS.join(', ')})`, l);
    });
    if (!langs.includes('en')) throw new ValidationError(where, 'langs', `must contain "en" (Infra's rule: English is the GUI's fallback)`, langs);
    const ordered = ['en', ...new Set(langs.filter((l) => l !== 'en'))];
    const resolver = props.resolver ?? 'kube-dns.kube-system.svc.cluster.local';
    if (typeof resolver !== 'string' || (hostNameReason(resolver) !== undefined && !/^(\d{1,3})(\.\d{1,3}){3}$/.test(resolver))) {
      throw new ValidationError(where, 'resolver', `${showValue(resolver)} is not a host name or IPv4 address`, resolver);
    }
    const cors = props.cors === undefined ? undefined : checkCors(where, props.cors);
    const pod = checkPodSettings(this, where, props, { name: this.name, namespace: this.namespace });
    const labels = { 'app.kubernetes.io/part-of': 'armonik', 'app.kubernetes.io/managed-by': 'platform-constructs', app: 'armonik', service: 'ingress' };
    const serviceNames = [this.name, `${this.name}.${this.namespace}`, `${this.name}.${this.namespace}.svc`, `${this.name}.${this.namespace}.svc.cluster.local`];
    // Declared without data: the secret generator fills them in the cluster.
    const secret = (sid: string, name: string, data: Record<string, SecretValue>, certificate: CertificateProps) =>
      new GeneratedSecret(this, sid, { name, namespace: this.namespace, labels, data, certificate });
    const pair = { [ISSUER_CERT_KEY]: SecretValue.certificate('cert'), [ISSUER_KEY_KEY]: SecretValue.certificate('key') };

    // The server certificate.
    const tls = tlsSource?._check(where, 'tls');
    if (tlsSource?._kind === 'generated') {
      const days = tls!.validityDays === undefined ? {} : { validityDays: tls!.validityDays };
      this.serverCaSecretName = `${this.name}-server-ca`;
      this.tlsSecretName = `${this.name}-server-tls`;
      secret('server-ca', this.serverCaSecretName, pair, { commonName: `${this.name}.${this.namespace} CA`.slice(0, 64), isCA: true, ...days });
      secret('server-tls', this.tlsSecretName, { ...pair, 'ca.crt': SecretValue.certificate('ca') }, {
        commonName: serviceNames[3].length <= 64 ? serviceNames[3] : serviceNames[0],
        dnsNames: [...new Set([...serviceNames, ...tls!.dnsNames])],
        ...(tls!.ipAddresses.length ? { ipAddresses: tls!.ipAddresses } : {}),
        issuer: this.serverCaSecretName,
        ...days,
      });
    } else if (tlsSource?._kind === 'cert-manager') {
      this.tlsSecretName = `${this.name}-server-tls`;
      new ApiObject(this, 'certificate', {
        apiVersion: 'cert-manager.io/v1',
        kind: 'Certificate',
        metadata: { name: this.name, namespace: this.namespace, labels },
        spec: {
          secretName: this.tlsSecretName,
          dnsNames: [...new Set([...serviceNames, ...tls!.dnsNames])],
          issuerRef: { name: tls!.issuer!.name, kind: tls!.issuer!.kind, group: 'cert-manager.io' },
          privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
        },
      });
    } else if (tlsSource) {
      this.tlsSecretName = tls!.secretName;
    }

    // The client CA and the client certificates.
    const clientCertificates: IngressClientCertificate[] = [];
    let clientCaItem: { secretName: string; key: string } | undefined;
    if (mtls) {
      const ca = (checkInstance(where, 'mtls.clientCa', mtls.clientCa, IngressClientCa, 'IngressClientCa.generated() or .fromSecret()') ?? IngressClientCa.generated());
      const checked = ca._check(where, 'mtls.clientCa');
      const wanted = mtls.clientCertificates ?? {};
      if (!isPlainObject(wanted)) throw new ValidationError(where, 'mtls.clientCertificates', `must be an object of user name: { commonName? }, not ${describeValue(wanted)}`, wanted);
      if (ca._kind === 'secret') {
        if (Object.keys(wanted).length > 0) {
          throw new ValidationError(where, 'mtls.clientCertificates', `the ingress cannot sign certificates with a CA it does not hold (mtls.clientCa is a Secret); leave clientCertificates out`, wanted);
        }
        clientCaItem = { secretName: checked.secretName!, key: checked.key! };
      } else {
        if (Object.keys(wanted).length === 0) {
          // Infra's rule: a generated CA with no certificate would let nobody in.
          throw new ValidationError(where, 'mtls.clientCertificates', `give at least one, or a clientCa of your own (IngressClientCa.fromSecret): with a generated CA and no certificate nobody can connect`);
        }
        this.clientCaSecretName = `${this.name}-client-ca`;
        const days = checked.validityDays === undefined ? {} : { validityDays: checked.validityDays };
        secret('client-ca', this.clientCaSecretName, pair, { commonName: `${this.name}.${this.namespace} client CA`.slice(0, 64), isCA: true, ...days });
        clientCaItem = { secretName: this.clientCaSecretName, key: ISSUER_CERT_KEY };
        const names = new Map<string, string>();
        for (const [username, options] of Object.entries(wanted)) {
          const f = `mtls.clientCertificates.${username}`;
          const bad = dns1123LabelReason(username);
          if (bad) throw new ValidationError(where, f, `the user name names its Secret (${this.name}-client-<user>): ${bad}`, username);
          const o = checkObject<{ commonName?: string }>(where, f, options, ['commonName']);
          const commonName = o.commonName ?? `armonik-${username}`;
          const badName = commonNameReason(commonName);
          if (badName) throw new ValidationError(where, `${f}.commonName`, badName, commonName);
          const other = names.get(commonName);
          if (other !== undefined) throw new ValidationError(where, `${f}.commonName`, `${quote(commonName)} is ${quote(other)}'s certificate's name already; each must be unique`, commonName);
          names.set(commonName, username);
          const secretName = `${this.name}-client-${username}`;
          secret(`client-${username}`, secretName, {
            ...pair,
            // What the client trusts the ingress with: the server's CA when generated here.
            ...(this.serverCaSecretName ? { 'ca.crt': SecretValue.fromSecret(this.serverCaSecretName, ISSUER_CERT_KEY) } : {}),
          }, { commonName, issuer: this.clientCaSecretName, ...days });
          clientCertificates.push({ username, commonName, secretName });
        }
      }
    }
    this.clientCertificates = clientCertificates;
    const trusted = checkStringList(where, 'mtls.trustedCommonNames', mtls?.trustedCommonNames);
    trusted.forEach((cn, i) => {
      if (cn.length === 0 || cn.length > 64 || /[\s",/|\\\u0000-\u001f]/.test(cn)) throw new ValidationError(where, `mtls.trustedCommonNames[${i}]`, `${showValue(cn)} is not a common name (1 to 64 characters, no spaces, quotes, ',', '/', '|' or '\\')`, cn);
    });

    this.config = renderIngressConfig({
      tls: this.tls, mtls: this.mtls, trustedCommonNames: trusted, controlPlane, adminGui, grafana, seq, langs: ordered, cors, resolver, paths: INGRESS_PATHS, healthPort: HEALTH_PORT,
    });
    this.configMap = new ApiObject(this, 'config', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: this.name, namespace: this.namespace, labels },
      data: { 'armonik.conf': this.config },
    });
    const ports = ingressListenPorts(this.tls);
    const volumes: Array<Record<string, unknown>> = [
      { name: 'config', configMap: { name: this.name } },
      scratchVolume('tmp'),
      // nginx-unprivileged writes its pid and temp files under /tmp; /var/cache/nginx is its
      // compiled-in temp root, where large request bodies are buffered (within the container's 2Gi).
      scratchVolume('cache', '1Gi'),
      ...(this.tlsSecretName ? [{ name: 'tls', secret: { secretName: this.tlsSecretName, items: [{ key: 'tls.crt', path: 'tls.crt' }, { key: 'tls.key', path: 'tls.key' }] } }] : []),
      // Only the CA's certificate: its private key never reaches nginx.
      ...(clientCaItem ? [{ name: 'client-ca', secret: { secretName: clientCaItem.secretName, items: [{ key: clientCaItem.key, path: 'ca.crt' }] } }] : []),
    ];
    const probe = { path: '/healthz', periodSeconds: 10, timeoutSeconds: 1, failureThreshold: 3 };
    this.workload = buildWorkload(this, {
      where,
      name: this.name,
      namespace: this.namespace,
      component: 'ingress',
      instance: this.name,
      replicas: checkReplicas(where, 'replicas', props.replicas ?? 1),
      moduleEnv: ModuleEnv.INLINE,
      podLabels: armonikPodLabels('ingress'),
      uid: NGINX_UID,
      hashInputs: [this.config],
      ...podSettingsSpec(pod),
      volumes: volumes as any,
      network: {
        // The entry point: anyone may connect; its upstreams (given as constructs) accept it in return.
        allowIngress: EVERYONE.map((peer) => ({ peer, ports: [ports.http, ports.grpc] })),
        consumes: [props.controlPlane, props.adminGui].flatMap((u, i) => {
          const endpoint = typeof u === 'object' && u !== null ? u.podsEndpoint : undefined;
          return endpoint ? [ModuleOutputs.empty().withEndpoints([endpoint], i === 0 ? 'controlPlane' : 'adminGui')] : [];
        }),
      },
      containers: [
        {
          name: 'ingress',
          image: checkImage(where, 'image', props.image ?? INGRESS_IMAGE),
          ports: [
            { name: 'http', containerPort: ports.http },
            { name: 'grpc', containerPort: ports.grpc },
            { name: 'health', containerPort: HEALTH_PORT },
          ],
          // Ready once /healthz answers; alive while nginx accepts connections on that port.
          probes: { port: HEALTH_PORT, readiness: probe, liveness: { tcpPort: HEALTH_PORT, periodSeconds: 10, timeoutSeconds: 1, failureThreshold: 3, initialDelaySeconds: 5 } },
          resources: plainResources(props.resources, { cpuRequest: '50m', memoryRequest: '64Mi', cpuLimit: '1', memoryLimit: '256Mi', ephemeralStorageLimit: '2Gi' }, where, 'resources'),
          volumeMounts: [
            { name: 'config', mountPath: '/etc/nginx/conf.d', readOnly: true },
            { name: 'tmp', mountPath: '/tmp' },
            { name: 'cache', mountPath: '/var/cache/nginx' },
            ...(this.tlsSecretName ? [{ name: 'tls', mountPath: '/ingress/tls', readOnly: true }] : []),
            ...(clientCaItem ? [{ name: 'client-ca', mountPath: '/ingress/client-ca', readOnly: true }] : []),
          ],
          conf: ModuleOutputs.empty(),
          confField: 'none',
        },
      ],
    });
    this.service = buildService(this, {
      name: this.name,
      namespace: this.namespace,
      labels: this.workload.labels,
      selector: this.workload.selector,
      type: serviceType,
      annotations: service.annotations,
      ports: [
        { name: 'http', port: httpPort, targetPort: ports.http },
        { name: 'grpc', port: grpcPort, targetPort: ports.grpc },
      ],
    });
    this.endpoint = `${this.tls ? 'https' : 'http'}://${this.name}.${this.namespace}.svc.cluster.local:${grpcPort}`;
    claimObjectNames(this, where);
  }
}

/** `host:port` of an upstream. */
function checkHostPort(where: string, field: string, value: unknown): string {
  const m = typeof value === 'string' ? /^([a-z0-9.-]+):(\d{1,5})$/.exec(value) : null;
  if (!m || hostNameReason(m[1]) !== undefined || Number(m[2]) < 1 || Number(m[2]) > 65535) {
    throw new ValidationError(where, field, `${showValue(value)} is not host:port (such as "control-plane.armonik.svc.cluster.local:5001", a ControlPlane's endpoint)`, value);
  }
  return value as string;
}

/** `http(s)://host[:port]` of an upstream, nothing nginx would read as syntax. */
function checkUpstreamUrl(where: string, field: string, value: unknown): string {
  const m = typeof value === 'string' ? /^(https?):\/\/([a-z0-9.-]+)(:(\d{1,5}))?\/?$/.exec(value) : null;
  if (!m || hostNameReason(m[2]) !== undefined || (m[4] !== undefined && (Number(m[4]) < 1 || Number(m[4]) > 65535))) {
    throw new ValidationError(where, field, `${showValue(value)} is not a URL http(s)://host[:port] (no path: the ingress passes the request's)`, value);
  }
  return (value as string).replace(/\/$/, '');
}

const TOKEN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

function checkCors(where: string, value: IngressCorsOptions): CorsConfig {
  const c = checkObject<IngressCorsOptions>(where, 'cors', value, ['allowedHost', 'allowedHeaders', 'allowedMethods', 'preflightMaxAge']);
  const host = c.allowedHost ?? '*';
  if (host !== '*' && !(typeof host === 'string' && /^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/.test(host))) {
    throw new ValidationError(where, 'cors.allowedHost', `${showValue(host)} is not '*' or an origin (https://host[:port])`, host);
  }
  const headers = checkStringList(where, 'cors.allowedHeaders', c.allowedHeaders);
  headers.forEach((h, i) => {
    if (!TOKEN.test(h)) throw new ValidationError(where, `cors.allowedHeaders[${i}]`, `${showValue(h)} is not a header name`, h);
  });
  const methods = checkStringList(where, 'cors.allowedMethods', c.allowedMethods ?? ['GET', 'POST', 'OPTIONS']);
  if (methods.length === 0) throw new ValidationError(where, 'cors.allowedMethods', `give at least one method`);
  methods.forEach((m, i) => {
    if (!/^[A-Z]+$/.test(m)) throw new ValidationError(where, `cors.allowedMethods[${i}]`, `${showValue(m)} is not an HTTP method (upper case)`, m);
  });
  const maxAge = checkInteger(where, 'cors.preflightMaxAge', c.preflightMaxAge ?? 1728000, 0);
  return { allowedHost: host, allowedHeaders: headers.filter((h) => !CORS_DEFAULT_HEADERS.includes(h)), allowedMethods: [...new Set(methods)], preflightMaxAge: maxAge };
}
