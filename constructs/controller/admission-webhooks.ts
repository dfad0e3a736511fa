import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import {
  GENERATE_LABEL,
  GENERATE_LABEL_VALUE,
  GenerateSpecError,
  ISSUER_CERT_KEY,
  ISSUER_KEY_KEY,
  MAX_COMMON_NAME,
  SPEC_ANNOTATION,
  renderGenerateSpec,
  validateGenerateSpec,
  type GenerateSpec,
} from '../../lib/api/secret-generator/index.js';
import { WEBHOOK_CA_KEY, webhookProblems, type AdmissionWebhookSpec, type WebhookConfigurationRef } from '../../lib/api/webhook.js';
import { describeValue, ValidationError } from '../../lib/k8s/validation.js';
import { checkPropsObject } from '../../lib/k8s/props.js';
import { WebhookCertificate } from './webhook-certificate.js';

export interface AdmissionWebhooksProps {
  /** The webhooks, from the controller's `lib/api` folder. */
  readonly webhooks: readonly AdmissionWebhookSpec[];
  readonly certificate: WebhookCertificate;
  /** Name of the controller: objects are `<name>-webhook` and `<namespace>-<name>`. */
  readonly name: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  /** Pod selector of the controller's pods. */
  readonly selector: Record<string, string>;
}

/**
 * The API-server side of a controller's admission webhooks: a Service in front of the pods'
 * `webhook` port, the serving certificate (a given Secret, a cert-manager Certificate, or Secrets
 * the secret generator fills), and one Mutating/ValidatingWebhookConfiguration with the CA bundle
 * (none with cert-manager or a generated certificate: it is injected), `sideEffects: None`, v1 reviews.
 * The controller's own namespace is excluded from every webhook, so that a `Fail` webhook cannot
 * block the pods that serve it.
 */
export class AdmissionWebhooks extends Construct {
  /** The Service the API server calls. */
  readonly serviceName: string;
  /** The Secret with `tls.crt` and `tls.key` the pods mount. */
  readonly secretName: string;

  /** The generated Secrets (CA, then serving certificate), with a generated certificate. */
  readonly generatedSecrets: readonly k8s.KubeSecret[];
  /** The configurations whose `caBundle` the controller injects itself (a generated certificate), else none. */
  readonly caInjection: readonly WebhookConfigurationRef[];

  /**
   * Checks the webhooks and the certificate (errors name the field, under `webhooks`) and returns
   * the configurations whose `caBundle` the controller must inject itself: those of a generated
   * certificate, none otherwise. `where` is the controller's path.
   */
  static check(where: string, props: Pick<AdmissionWebhooksProps, 'webhooks' | 'certificate' | 'name' | 'namespace'>): WebhookConfigurationRef[] {
    checkPropsObject(where, props, ['webhooks', 'certificate']);
    if (!Array.isArray(props.webhooks)) throw new ValidationError(where, 'webhooks.webhooks', `must be a list of webhooks, not ${describeValue(props.webhooks)}`, props.webhooks);
    const cert = props.certificate;
    if (!(cert instanceof WebhookCertificate)) {
      throw new ValidationError(where, 'webhooks.certificate', `must be WebhookCertificate.fromSecret(), .fromCertManager() or .generated(), not ${describeValue(cert)}`);
    }
    if (props.webhooks.length === 0) throw new ValidationError(where, 'webhooks', 'is empty: give at least one webhook or none at all');
    const seen = new Set<string>();
    props.webhooks.forEach((w, i) => {
      const [problem] = webhookProblems(w);
      if (problem) throw new ValidationError(where, `webhooks[${i}].${problem.field}`, problem.reason, w);
      if (seen.has(w.name)) throw new ValidationError(where, `webhooks[${i}].name`, `"${w.name}" is declared twice`, w.name);
      seen.add(w.name);
    });
    if (cert.secretName !== undefined && (!cert.caBundle || !cert.caBundle.includes('-----BEGIN CERTIFICATE-----'))) {
      throw new ValidationError(where, 'webhookCertificate.caBundle', 'must be the PEM of the CA that signed the serving certificate');
    }
    if (!cert.generated) return [];
    const { generator } = cert.generated;
    const watched = generator.watchNamespaces;
    if (!watched.includes('*') && !watched.includes(props.namespace)) {
      throw new ValidationError(
        where,
        'webhooks.certificate',
        `the secret generator ${generator.node.path} does not watch namespace "${props.namespace}" (it watches ${watched.map((n) => `"${n}"`).join(', ') || 'none'}): add it to its watchNamespaces`,
      );
    }
    const name = `${props.namespace}-${props.name}`;
    return (['mutating', 'validating'] as const).filter((type) => props.webhooks.some((w) => w.type === type)).map((type) => ({ type, name }));
  }

  constructor(scope: Construct, id: string, props: AdmissionWebhooksProps) {
    super(scope, id);
    const where = scope.node.path;
    this.caInjection = AdmissionWebhooks.check(where, props);
    const { certificate: cert, name, namespace, labels } = props;
    this.serviceName = `${name}-webhook`;
    const dnsNames = [`${this.serviceName}.${namespace}.svc`, `${this.serviceName}.${namespace}.svc.cluster.local`];
    const generatedSecrets: k8s.KubeSecret[] = [];
    if (cert.secretName !== undefined) {
      this.secretName = cert.secretName;
    } else if (cert.generated) {
      this.secretName = `${name}-webhook-cert`;
      const caName = `${name}-webhook-ca`;
      const extra = cert.generated.options;
      const days = extra.validityDays !== undefined ? { validityDays: extra.validityDays } : {};
      const generated = (id: string, secretName: string, spec: GenerateSpec) => {
        try {
          validateGenerateSpec(JSON.parse(JSON.stringify(spec)), { selfName: secretName });
        } catch (err) {
          if (err instanceof GenerateSpecError) throw new ValidationError(where, 'webhooks.certificate', `${secretName}: ${err.message}`);
          throw err;
        }
        return new k8s.KubeSecret(this, id, {
          metadata: {
            name: secretName,
            namespace,
            labels: { ...labels, [GENERATE_LABEL]: GENERATE_LABEL_VALUE },
            annotations: { [SPEC_ANNOTATION]: renderGenerateSpec(spec) },
          },
          type: 'Opaque',
        });
      };
      // A CA and a leaf it signs: the leaf can be reissued (delete its keys) without a new caBundle.
      generatedSecrets.push(
        generated('ca', caName, {
          keys: { [ISSUER_CERT_KEY]: { certificate: 'cert' }, [ISSUER_KEY_KEY]: { certificate: 'key' } },
          certificate: { commonName: fit(`${this.serviceName}-ca`, 'webhook-ca'), isCA: true, ...days },
        }),
        generated('secret', this.secretName, {
          keys: { 'tls.crt': { certificate: 'cert' }, 'tls.key': { certificate: 'key' }, [WEBHOOK_CA_KEY]: { certificate: 'ca' } },
          certificate: {
            commonName: fit(dnsNames[0], this.serviceName),
            dnsNames: [...new Set([...dnsNames, ...(extra.dnsNames ?? [])])],
            ...(extra.ipAddresses?.length ? { ipAddresses: extra.ipAddresses } : {}),
            issuer: caName,
            ...days,
          },
        }),
      );
    } else {
      this.secretName = `${name}-webhook-cert`;
      new ApiObject(this, 'certificate', {
        apiVersion: 'cert-manager.io/v1',
        kind: 'Certificate',
        metadata: { name: this.serviceName, namespace, labels },
        spec: {
          secretName: this.secretName,
          dnsNames,
          issuerRef: { name: cert.issuer!.name, kind: cert.issuer!.kind ?? 'Issuer', group: 'cert-manager.io' },
          privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
        },
      });
    }
    this.generatedSecrets = generatedSecrets;

    new k8s.KubeService(this, 'service', {
      metadata: { name: this.serviceName, namespace, labels },
      spec: {
        type: 'ClusterIP',
        selector: props.selector,
        ports: [{ name: 'webhook', port: 443, targetPort: k8s.IntOrString.fromString('webhook'), protocol: 'TCP' }],
      },
    });

    const annotations = cert.issuer ? { 'cert-manager.io/inject-ca-from': `${namespace}/${this.serviceName}` } : undefined;
    const caBundle = cert.caBundle ? Buffer.from(cert.caBundle).toString('base64') : undefined;
    const configName = `${namespace}-${name}`;
    const toWebhook = (w: AdmissionWebhookSpec) => ({
      name: w.name,
      admissionReviewVersions: ['v1'],
      sideEffects: 'None',
      failurePolicy: w.failurePolicy ?? 'Fail',
      timeoutSeconds: w.timeoutSeconds ?? 5,
      matchPolicy: 'Equivalent',
      clientConfig: { service: { name: this.serviceName, namespace, path: w.path, port: 443 }, ...(caBundle ? { caBundle } : {}) },
      rules: w.rules.map((r) => ({ ...r, scope: r.scope ?? '*' })),
      namespaceSelector: {
        ...(w.namespaceSelector?.matchLabels ? { matchLabels: w.namespaceSelector.matchLabels } : {}),
        matchExpressions: [
          ...(w.namespaceSelector?.matchExpressions ?? []),
          { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: [namespace] },
        ],
      },
      ...(w.objectSelector ? { objectSelector: w.objectSelector } : {}),
      ...(w.matchConditions?.length ? { matchConditions: w.matchConditions.map((c) => ({ name: c.name, expression: c.expression })) } : {}),
      ...(w.type === 'mutating' ? { reinvocationPolicy: w.reinvocationPolicy ?? 'Never' } : {}),
    });
    const mutating = props.webhooks.filter((w) => w.type === 'mutating');
    const validating = props.webhooks.filter((w) => w.type === 'validating');
    if (mutating.length) {
      new ApiObject(this, 'mutating', {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'MutatingWebhookConfiguration',
        metadata: { name: configName, labels, ...(annotations ? { annotations } : {}) },
        webhooks: mutating.map(toWebhook),
      } as never);
    }
    if (validating.length) {
      new ApiObject(this, 'validating', {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingWebhookConfiguration',
        metadata: { name: configName, labels, ...(annotations ? { annotations } : {}) },
        webhooks: validating.map(toWebhook),
      } as never);
    }
  }
}

/** `name` when it fits in a certificate's common name, else `shorter`. */
function fit(name: string, shorter: string): string {
  return name.length <= MAX_COMMON_NAME ? name : shorter;
}
