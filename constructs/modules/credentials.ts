/**
 * The credentials and certificates of the in-cluster modules, declared as GeneratedSecrets: the
 * manifests carry no secret material; the secret generator fills them in the cluster, once, and
 * never overwrites a value (so a Secret created beforehand, e.g. with the user's own
 * certificates, is kept). ArmoniK.Infra generates the same with Terraform (`random_password`,
 * `tls_self_signed_cert`, `tls_locally_signed_cert`, `pkcs12_from_pem`), which writes them into
 * its state; a CA per module, as there.
 */
import type { Construct } from 'constructs';
import { MAX_COMMON_NAME } from '../../lib/api/secret-generator/index.js';
import { GeneratedSecret, SecretValue } from '../secret-generator/index.js';

/**
 * A certificate's common name: `preferred` when it fits in the 64 characters X.509 allows, else
 * `fallback` (clients check the DNS names, which carry the full host anyway).
 */
export function commonName(preferred: string, fallback: string): string {
  return preferred.length <= MAX_COMMON_NAME ? preferred : fallback.slice(0, MAX_COMMON_NAME);
}

/** The names under which a module's Service is reached in the cluster: certificates carry them all. */
export function serviceDnsNames(service: string, namespace: string): string[] {
  return [service, `${service}.${namespace}`, `${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`];
}

/**
 * A module's own CA: a Secret `<name>-ca` with the keys `tls.crt` and `tls.key` (type Opaque: a
 * `kubernetes.io/tls` Secret must carry its keys in the manifest, as placeholders a GitOps
 * re-apply would reset).
 */
export function moduleCa(scope: Construct, module: string, namespace: string): GeneratedSecret {
  return new GeneratedSecret(scope, 'ca', {
    name: `${module}-ca`,
    namespace,
    certificate: { commonName: commonName(`ArmoniK ${module} Root CA`, `${module.slice(0, MAX_COMMON_NAME - 3)} CA`), isCA: true },
    data: { 'tls.crt': SecretValue.certificate('cert'), 'tls.key': SecretValue.certificate('key') },
  });
}

/** A user name and password for consumers, under the keys the consumers read (e.g. `Amqp__User`). */
export function userCredentials(scope: Construct, id: string, name: string, namespace: string, keys: { readonly user: string; readonly password: string }): GeneratedSecret {
  return new GeneratedSecret(scope, id, {
    name,
    namespace,
    data: {
      [keys.user]: SecretValue.random({ length: 8, charset: 'lowercase' }),
      [keys.password]: SecretValue.random({ length: 24 }),
    },
  });
}

/**
 * A service's certificate issued by the module's CA, for its Service names, as PEM files
 * `cert.pem`, `key.pem` and `ca.pem` (the layout ArmoniK.Infra's server Secrets use), plus the
 * service's own keys (`extra`: its configuration, a keystore).
 */
export function serverCertificate(
  scope: Construct,
  secretName: string,
  service: { readonly name: string; readonly namespace: string; readonly host: string },
  issuer: GeneratedSecret,
  extra: Readonly<Record<string, SecretValue>> = {},
): GeneratedSecret {
  return new GeneratedSecret(scope, 'server', {
    name: secretName,
    namespace: service.namespace,
    certificate: { commonName: commonName(service.host, service.name), dnsNames: serviceDnsNames(service.name, service.namespace), issuer },
    data: {
      'cert.pem': SecretValue.certificate('cert'),
      'key.pem': SecretValue.certificate('key'),
      'ca.pem': SecretValue.certificate('ca'),
      ...extra,
    },
  });
}
