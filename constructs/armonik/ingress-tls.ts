/**
 * Where the ingress's TLS material comes from. Never from the manifests: generated in the
 * cluster by the secret generator (`platform-controllers secret-generator`, which must watch the
 * ingress's namespace), issued by cert-manager, or an existing Secret.
 */
import { checkObject, checkStringList } from '../../lib/k8s/props.js';
import { describeValue, ValidationError } from '../../lib/k8s/validation.js';
import { checkConfigKey, checkDns1123Subdomain, checkInteger } from '../../lib/k8s/validators.js';

/** Options of {@link IngressTls.generated}. */
export interface GeneratedIngressTlsOptions {
  /** More DNS names of the certificate, e.g. the load balancer's public name (the Service's own are always in it). @default none */
  readonly dnsNames?: readonly string[];
  /** IP addresses of the certificate, e.g. the load balancer's. @default none */
  readonly ipAddresses?: readonly string[];
  /** Days the CA and certificate are valid. @default 3650 (the secret generator's) */
  readonly validityDays?: number;
}

/** A cert-manager issuer. */
export interface CertManagerIssuerRef {
  readonly name: string;
  /** @default 'Issuer' */
  readonly kind?: 'Issuer' | 'ClusterIssuer';
}

/** The ingress's server certificate (ArmoniK.Infra's `tls`). */
export class IngressTls {
  /**
   * A CA (`<ingress>-server-ca`) and a certificate it signs (`<ingress>-server-tls`) for the
   * Service's names, both made in the cluster by the secret generator: clients trust the CA's
   * `tls.crt` (also the `ca.crt` of each generated client certificate Secret).
   */
  public static generated(options: GeneratedIngressTlsOptions = {}): IngressTls {
    return new IngressTls('generated', options);
  }

  /** An existing `kubernetes.io/tls` Secret of the namespace (`tls.crt`, `tls.key`), e.g. from your PKI. */
  public static fromSecret(name: string): IngressTls {
    return new IngressTls('secret', { name });
  }

  /** A cert-manager `Certificate` for the Service's names (and `dnsNames`), issued by `issuer`. */
  public static fromCertManager(issuer: CertManagerIssuerRef, options: Pick<GeneratedIngressTlsOptions, 'dnsNames'> = {}): IngressTls {
    return new IngressTls('cert-manager', { issuer, ...options });
  }

  private constructor(
    /** @internal */ public readonly _kind: 'generated' | 'secret' | 'cert-manager',
    /** @internal */ public readonly _options: Record<string, any>,
  ) {}

  /** The options, checked. @internal */
  public _check(where: string, field: string): { secretName?: string; dnsNames: string[]; ipAddresses: string[]; validityDays?: number; issuer?: Required<CertManagerIssuerRef> } {
    const o = this._options;
    if (this._kind === 'secret') return { secretName: checkDns1123Subdomain(where, `${field}.name`, o.name, 'Secret'), dnsNames: [], ipAddresses: [] };
    const known = this._kind === 'generated' ? ['dnsNames', 'ipAddresses', 'validityDays'] : ['issuer', 'dnsNames'];
    checkObject(where, field, o, known);
    const dnsNames = checkStringList(where, `${field}.dnsNames`, o.dnsNames);
    dnsNames.forEach((d, i) => {
      if (!/^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(d) || d.length > 253) {
        throw new ValidationError(where, `${field}.dnsNames[${i}]`, `${JSON.stringify(d)} is not a DNS name (lower case, '*.' allowed first)`, d);
      }
    });
    const ipAddresses = checkStringList(where, `${field}.ipAddresses`, o.ipAddresses);
    ipAddresses.forEach((ip, i) => {
      if (!/^(\d{1,3})(\.\d{1,3}){3}$/.test(ip) && !/^[0-9a-fA-F:]+$/.test(ip)) throw new ValidationError(where, `${field}.ipAddresses[${i}]`, `${JSON.stringify(ip)} is not an IP address`, ip);
    });
    if (this._kind === 'generated') {
      return { dnsNames, ipAddresses, ...(o.validityDays === undefined ? {} : { validityDays: checkInteger(where, `${field}.validityDays`, o.validityDays, 1, 36500) }) };
    }
    const issuer = checkObject<CertManagerIssuerRef>(where, `${field}.issuer`, o.issuer, ['name', 'kind'], true);
    const kind = issuer.kind ?? 'Issuer';
    if (kind !== 'Issuer' && kind !== 'ClusterIssuer') throw new ValidationError(where, `${field}.issuer.kind`, `${describeValue(kind)} is not 'Issuer' or 'ClusterIssuer'`, kind);
    return { dnsNames, ipAddresses: [], issuer: { name: checkDns1123Subdomain(where, `${field}.issuer.name`, issuer.name, kind), kind } };
  }
}

/** The CA client certificates must chain to (ArmoniK.Infra's mTLS client CA). */
export class IngressClientCa {
  /** A CA (`<ingress>-client-ca`) made in the cluster; the ingress generates its client certificates with it. */
  public static generated(options: Pick<GeneratedIngressTlsOptions, 'validityDays'> = {}): IngressClientCa {
    return new IngressClientCa('generated', options);
  }

  /**
   * CA certificates in an existing Secret of the namespace (`key`, PEM, several allowed), e.g. your
   * company's client CA (Infra's `extra_ca_paths`). The ingress cannot sign client certificates
   * with it, so `clientCertificates` must be empty.
   */
  public static fromSecret(name: string, key = 'ca.crt'): IngressClientCa {
    return new IngressClientCa('secret', { name, key });
  }

  private constructor(
    /** @internal */ public readonly _kind: 'generated' | 'secret',
    /** @internal */ public readonly _options: Record<string, any>,
  ) {}

  /** @internal */
  public _check(where: string, field: string): { secretName?: string; key?: string; validityDays?: number } {
    const o = this._options;
    if (this._kind === 'secret') {
      return { secretName: checkDns1123Subdomain(where, `${field}.name`, o.name, 'Secret'), key: checkConfigKey(where, `${field}.key`, o.key) };
    }
    checkObject(where, field, o, ['validityDays']);
    return o.validityDays === undefined ? {} : { validityDays: checkInteger(where, `${field}.validityDays`, o.validityDays, 1, 36500) };
  }
}
