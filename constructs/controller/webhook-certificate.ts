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
 * The serving certificate of a controller's admission webhooks, which the API server must trust:
 * never inlined, either a Secret you provide with the CA that signed it, or one cert-manager
 * issues (and injects the CA of into the webhook configurations).
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
    return new WebhookCertificate(secretName, caBundle, undefined);
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
    return new WebhookCertificate(undefined, undefined, issuer);
  }

  private constructor(
    /** The Secret given; undefined when cert-manager makes one. */
    readonly secretName: string | undefined,
    /** PEM of the CA; undefined with cert-manager. */
    readonly caBundle: string | undefined,
    /** The cert-manager issuer; undefined with a given Secret. */
    readonly issuer: CertManagerIssuer | undefined,
  ) {}
}
