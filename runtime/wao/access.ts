/**
 * Turns an EndpointTerm into what a client needs: basic-auth credentials from the Secret it names
 * and the CA bundle it references, read by name with `get` (RBAC grants no list or watch of
 * Secrets) and kept for `ttlMs`, so that a rotated password is used within that time without
 * reading Secrets on every fetch. An Unauthorized answer drops the cached credentials at once.
 */
import {
  BASIC_AUTH_PASSWORD_KEY,
  BASIC_AUTH_USERNAME_KEY,
  type EndpointTerm,
  type EndpointType,
} from '../../lib/api/wao/index.js';
import { TtlCache, type KubeClient } from '../kit/index.js';
import type { EndpointAccess } from './clients/index.js';
import { CONFIGMAPS, SECRETS } from './resources.js';

/** A term that cannot be used as configured (missing Secret or key, bad CA bundle). */
export class AccessError extends Error {
  constructor(
    readonly reason: 'SecretNotFound' | 'SecretInvalid' | 'CABundleNotFound' | 'CABundleInvalid',
    message: string,
  ) {
    super(message);
    this.name = 'AccessError';
  }
}

/** Reads Secrets and ConfigMaps by name (the production one is the controller's client). */
export interface ObjectReader {
  get<T>(ref: { apiVersion: string; resource: string; namespace?: string }, name: string): Promise<T | undefined>;
}

interface DataObject {
  data?: Record<string, string>;
}

export interface AccessResolverOptions {
  readonly reader: ObjectReader | KubeClient;
  /** @default 30 s */
  readonly ttlMs?: number;
  /** @default 10000 */
  readonly maxEntries?: number;
}

export class AccessResolver {
  private readonly cache: TtlCache<DataObject | null>;

  constructor(private readonly options: AccessResolverOptions) {
    this.cache = new TtlCache({ ttlMs: options.ttlMs ?? 30_000, maxEntries: options.maxEntries ?? 10_000 });
  }

  /** The access of `term` in `namespace`; `type` replaces the term's (a provider's endpoint). */
  async resolve(namespace: string, term: EndpointTerm, override?: { type: EndpointType; endpoint: string }): Promise<EndpointAccess> {
    const type = (override?.type ?? term.type) as EndpointType;
    const endpoint = override?.endpoint ?? term.endpoint ?? '';
    if (type === 'Fake') return { type, endpoint };
    const access: { -readonly [K in keyof EndpointAccess]: EndpointAccess[K] } = { type, endpoint, insecureSkipVerify: term.insecureSkipVerify === true };
    if (term.basicAuthSecret?.name) access.basicAuth = await this.basicAuth(namespace, term.basicAuthSecret.name);
    if (term.caBundle) access.caPem = await this.caBundle(namespace, term.caBundle);
    return access;
  }

  /** Forget what was read for `namespace/name` (after an Unauthorized answer). */
  forgetSecret(namespace: string, name: string): void {
    this.cache.delete(`secrets/${namespace}/${name}`);
  }

  private async read(kind: 'secrets' | 'configmaps', namespace: string, name: string): Promise<DataObject | null> {
    const ref = kind === 'secrets' ? { ...SECRETS, namespace } : { ...CONFIGMAPS, namespace };
    const { value } = await this.cache.getOrCompute(`${kind}/${namespace}/${name}`, async () => (await this.options.reader.get<DataObject>(ref, name)) ?? null);
    return value;
  }

  private async basicAuth(namespace: string, name: string): Promise<{ username: string; password: string }> {
    const secret = await this.read('secrets', namespace, name);
    if (!secret) throw new AccessError('SecretNotFound', `basic-auth Secret ${namespace}/${name} not found`);
    const missing = [BASIC_AUTH_USERNAME_KEY, BASIC_AUTH_PASSWORD_KEY].filter((k) => secret.data?.[k] === undefined);
    if (missing.length) throw new AccessError('SecretInvalid', `basic-auth Secret ${namespace}/${name} has no key ${missing.join(' and no key ')}`);
    const decode = (k: string) => Buffer.from(secret.data![k], 'base64').toString('utf8');
    return { username: decode(BASIC_AUTH_USERNAME_KEY), password: decode(BASIC_AUTH_PASSWORD_KEY) };
  }

  private async caBundle(namespace: string, ref: NonNullable<EndpointTerm['caBundle']>): Promise<string> {
    const from = ref.secret ? ({ kind: 'secrets', ...ref.secret } as const) : ({ kind: 'configmaps', ...ref.configMap! } as const);
    const what = `CA bundle ${from.kind === 'secrets' ? 'Secret' : 'ConfigMap'} ${namespace}/${from.name}`;
    const obj = await this.read(from.kind, namespace, from.name);
    if (!obj) throw new AccessError('CABundleNotFound', `${what} not found`);
    const raw = obj.data?.[from.key];
    if (raw === undefined) throw new AccessError('CABundleInvalid', `${what} has no key ${from.key}`);
    const pem = from.kind === 'secrets' ? Buffer.from(raw, 'base64').toString('utf8') : raw;
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new AccessError('CABundleInvalid', `${what} key ${from.key} holds no PEM certificate`);
    return pem;
  }
}
