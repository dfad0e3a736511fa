import type { Construct } from 'constructs';
import { GenerateSpecError, SECRET_GENERATOR, validateGenerateSpec } from '../../lib/api/secret-generator/index.js';
import { describeValue, ValidationError } from '../../lib/k8s/validation.js';
import { checkDns1123Subdomain } from '../../lib/k8s/validators.js';
import { checkPropsObject } from '../../lib/k8s/props.js';

/** A cert-manager issuer reference. */
export interface CertManagerIssuer {
  /** Name of the Issuer (in the controller's namespace) or ClusterIssuer. */
  readonly name: string;
  /** @default 'Issuer' */
  readonly kind?: 'Issuer' | 'ClusterIssuer';
}

/**
 * A deployed secret generator, as {@link WebhookCertificate.generated} needs it: a
 * `SecretGenerator` (constructs/secret-generator) is one. Named by its shape because
 * constructs/controller imports no other construct folder.
 */
export interface WebhookSecretGenerator extends Construct {
  /** The container's args: `secret-generator`, then its flags. */
  readonly args: readonly string[];
  /** Namespaces whose generated Secrets it fills; `['*']` for all. */
  readonly watchNamespaces: readonly string[];
}

/** Options of {@link WebhookCertificate.generated}. */
export interface GeneratedWebhookCertificateOptions {
  /** More DNS names of the serving certificate (the webhook Service's names are always in it). @default none */
  readonly dnsNames?: string[];
  /** IP addresses of the serving certificate, e.g. `127.0.0.1` for a webhook called by URL. @default none */
  readonly ipAddresses?: string[];
  /** Validity of the CA and the serving certificate, in days. @default 3650 */
  readonly validityDays?: number;
}

/**
 * The serving certificate of a controller's admission webhooks, which the API server must trust:
 * never inlined, either a Secret you provide with the CA that signed it, one cert-manager
 * issues (and injects the CA of into the webhook configurations), or one the secret generator
 * issues in the cluster (the controller injects its CA itself).
 */
export class WebhookCertificate {
  /**
   * A `kubernetes.io/tls` Secret (keys `tls.crt`, `tls.key`) in the controller's namespace,
   * valid for `<name>-webhook.<namespace>.svc`; `caBundle` is the PEM of the CA that signed it
   * (public: it goes into the webhook configurations).
   */
  static fromSecret(secretName: string, caBundle: string): WebhookCertificate {
    const where = 'WebhookCertificate.fromSecret';
    checkDns1123Subdomain(where, 'secretName', secretName, 'Secret');
    // Its PEM is checked by the controller construct, which names its path.
    if (typeof caBundle !== 'string') throw new ValidationError(where, 'caBundle', `must be the PEM of the CA that signed the serving certificate, not ${describeValue(caBundle)}`);
    return new WebhookCertificate(secretName, caBundle, undefined, undefined);
  }

  /**
   * A cert-manager `Certificate` from `issuer`; the CA is injected by cert-manager's CA injector
   * (`cert-manager.io/inject-ca-from`), so cert-manager must be installed.
   */
  static fromCertManager(issuer: CertManagerIssuer): WebhookCertificate {
    const where = 'WebhookCertificate.fromCertManager';
    const i = checkPropsObject(where, issuer, ['name']);
    checkDns1123Subdomain(where, 'name', i.name, i.kind ?? 'Issuer');
    if (i.kind !== undefined && i.kind !== 'Issuer' && i.kind !== 'ClusterIssuer') {
      throw new ValidationError(where, 'kind', `${describeValue(i.kind)} is not 'Issuer' or 'ClusterIssuer'`, i.kind);
    }
    return new WebhookCertificate(undefined, undefined, issuer, undefined);
  }

  /**
   * A CA and a serving certificate the secret generator issues in the cluster: Secrets
   * `<name>-webhook-ca` (the CA) and `<name>-webhook-cert` (`tls.crt`, `tls.key`, and the CA in
   * `ca.crt`, valid for `<name>-webhook.<namespace>.svc` and `.svc.cluster.local`) in the
   * controller's namespace, which `generator` must watch. No secret material and no CA in the
   * manifests: the controller patches `ca.crt` into the `caBundle` of its webhook configurations
   * (`--webhook-ca-inject`, with `get` and `patch` on them) and keeps it there. Needs no cert-manager.
   */
  static generated(generator: WebhookSecretGenerator, options: GeneratedWebhookCertificateOptions = {}): WebhookCertificate {
    const where = 'WebhookCertificate.generated';
    if (!isSecretGenerator(generator)) {
      throw new ValidationError(where, 'generator', `must be a SecretGenerator construct, not ${describeValue(generator)}`);
    }
    const o = checkPropsObject(where, options);
    // The generator's own rules check the names, addresses and validity (and name the option).
    try {
      validateGenerateSpec({
        keys: { 'tls.crt': { certificate: 'cert' } },
        certificate: { commonName: 'webhook', dnsNames: o.dnsNames, ipAddresses: o.ipAddresses, validityDays: o.validityDays },
      });
    } catch (err) {
      if (!(err instanceof GenerateSpecError)) throw err;
      throw new ValidationError(where, err.field.replace(/^certificate\./, ''), err.reason);
    }
    const generated: GeneratedWebhookCertificateOptions = {
      ...(o.dnsNames?.length ? { dnsNames: [...new Set(o.dnsNames)] } : {}),
      ...(o.ipAddresses?.length ? { ipAddresses: [...new Set(o.ipAddresses)] } : {}),
      ...(o.validityDays !== undefined ? { validityDays: o.validityDays } : {}),
    };
    return new WebhookCertificate(undefined, undefined, undefined, { generator, options: generated });
  }

  private constructor(
    /** The Secret given; undefined when cert-manager makes one. */
    readonly secretName: string | undefined,
    /** PEM of the CA; undefined with cert-manager. */
    readonly caBundle: string | undefined,
    /** The cert-manager issuer; undefined otherwise. */
    readonly issuer: CertManagerIssuer | undefined,
    /** The secret generator that issues it, and the certificate's extras; undefined otherwise. */
    readonly generated: { readonly generator: WebhookSecretGenerator; readonly options: GeneratedWebhookCertificateOptions } | undefined,
  ) {}
}

/** A construct whose container runs the secret generator. */
function isSecretGenerator(g: unknown): g is WebhookSecretGenerator {
  const x = g as Partial<WebhookSecretGenerator> | undefined;
  return typeof x === 'object' && x !== null && typeof x.node === 'object' && Array.isArray(x.args) && x.args[0] === SECRET_GENERATOR && Array.isArray(x.watchNamespaces);
}
