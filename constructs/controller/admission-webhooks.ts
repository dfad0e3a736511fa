import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { webhookProblems, type AdmissionWebhookSpec } from '../../lib/api/webhook.js';
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
 * `webhook` port, the serving certificate (a given Secret, or a cert-manager Certificate), and one
 * Mutating/ValidatingWebhookConfiguration with the CA bundle, `sideEffects: None`, v1 reviews.
 * The controller's own namespace is excluded from every webhook, so that a `Fail` webhook cannot
 * block the pods that serve it.
 */
export class AdmissionWebhooks extends Construct {
  /** The Service the API server calls. */
  readonly serviceName: string;
  /** The Secret with `tls.crt` and `tls.key` the pods mount. */
  readonly secretName: string;

  constructor(scope: Construct, id: string, props: AdmissionWebhooksProps) {
    super(scope, id);
    const where = scope.node.path;
    checkPropsObject(where, props, ['webhooks', 'certificate']);
    if (!Array.isArray(props.webhooks)) throw new ValidationError(where, 'webhooks.webhooks', `must be a list of webhooks, not ${describeValue(props.webhooks)}`, props.webhooks);
    if (!(props.certificate instanceof WebhookCertificate)) {
      throw new ValidationError(where, 'webhooks.certificate', `must be WebhookCertificate.fromSecret() or WebhookCertificate.fromCertManager(), not ${describeValue(props.certificate)}`);
    }
    if (props.webhooks.length === 0) throw new ValidationError(where, 'webhooks', 'is empty: give at least one webhook or none at all');
    const seen = new Set<string>();
    props.webhooks.forEach((w, i) => {
      const [problem] = webhookProblems(w);
      if (problem) throw new ValidationError(where, `webhooks[${i}].${problem.field}`, problem.reason, w);
      if (seen.has(w.name)) throw new ValidationError(where, `webhooks[${i}].name`, `"${w.name}" is declared twice`, w.name);
      seen.add(w.name);
    });
    const { certificate: cert, name, namespace, labels } = props;
    this.serviceName = `${name}-webhook`;
    if (cert.secretName !== undefined) {
      if (!cert.caBundle || !cert.caBundle.includes('-----BEGIN CERTIFICATE-----')) {
        throw new ValidationError(where, 'webhookCertificate.caBundle', 'must be the PEM of the CA that signed the serving certificate');
      }
      this.secretName = cert.secretName;
    } else {
      this.secretName = `${name}-webhook-cert`;
      new ApiObject(this, 'certificate', {
        apiVersion: 'cert-manager.io/v1',
        kind: 'Certificate',
        metadata: { name: this.serviceName, namespace, labels },
        spec: {
          secretName: this.secretName,
          dnsNames: [`${this.serviceName}.${namespace}.svc`, `${this.serviceName}.${namespace}.svc.cluster.local`],
          issuerRef: { name: cert.issuer!.name, kind: cert.issuer!.kind ?? 'Issuer', group: 'cert-manager.io' },
          privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
        },
      });
    }

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
