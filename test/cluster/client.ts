/**
 * What a test does with a running cluster: make clients, act as a ServiceAccount,
 * create namespaces, server-side apply plain manifests. Works the same on a cluster
 * this process started (`startCluster`) and on the shared one of the test run
 * (`connectToTestCluster`).
 */
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { randomBytes } from 'node:crypto';
import { KubeConfig, type ApiType } from '@kubernetes/client-node';
import { sleep } from './process.js';

/** A Kubernetes object as plain JSON (what cdk8s `toJson()` returns). */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    resourceVersion?: string;
    uid?: string;
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

export interface ApplyOptions {
  /** The server-side apply field manager. */
  readonly fieldManager: string;
  /** Namespace for namespaced objects that name none. @default 'default' */
  readonly namespace?: string;
  /** Take over fields owned by other managers (`--force-conflicts`). @default false */
  readonly force?: boolean;
  /** Send `dryRun=All`: validate and admit without persisting. @default false */
  readonly dryRun?: boolean;
  /**
   * What to do with API warnings (PodSecurity "would violate", deprecated APIs):
   * 'error' throws after applying everything, listing each object and warning.
   * @default 'error'
   */
  readonly warnings?: 'error' | 'ignore' | ((warning: string, object: KubeObject) => void);
  /** Apply as this identity instead of the admin. @default the cluster admin */
  readonly kubeConfig?: KubeConfig;
  /** How long to wait for each CRD to become Established. @default 30000 */
  readonly crdTimeoutMs?: number;
}

export interface NamespaceOptions {
  /** Label the namespace `pod-security.kubernetes.io/enforce=restricted` (and warn/audit). @default true */
  readonly restricted?: boolean;
  /** Extra labels. */
  readonly labels?: Record<string, string>;
}

export class KubeApiError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly statusCode: number,
    readonly body: any,
  ) {
    super(
      `${method} ${path} -> ${statusCode}${body?.reason ? ` ${body.reason}` : ''}: ` +
        `${typeof body === 'object' && body?.message ? body.message : JSON.stringify(body)}`,
    );
    this.name = 'KubeApiError';
  }
}

export interface RawResponse<T = any> {
  readonly statusCode: number;
  readonly body: T;
  /** `Warning` headers, text only (the `299 - "..."` wrapper removed). */
  readonly warnings: string[];
}

interface ApiResource {
  name: string;
  namespaced: boolean;
  kind: string;
}

function parseWarning(h: string): string {
  const m = /^\d{3}\s+\S+\s+"(.*)"\s*$/s.exec(h);
  return (m ? m[1] : h).replace(/\\"/g, '"');
}

/** A short random DNS-label suffix. */
export function randomSuffix(n = 5): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  return [...randomBytes(n)].map((b) => alphabet[b % alphabet.length]).join('');
}

export function objectRef(o: KubeObject): string {
  const ns = o.metadata?.namespace ? `${o.metadata.namespace}/` : '';
  return `${o.kind} ${ns}${o.metadata?.name ?? '<no name>'} (${o.apiVersion})`;
}

export class ClusterClient {
  /** Discovery cache: apiVersion -> resources. */
  private readonly discovery = new Map<string, ApiResource[]>();

  constructor(
    /** Path of a kubeconfig file for the admin (usable by kubectl and subprocesses). */
    readonly kubeconfigPath: string,
    /** The admin's KubeConfig (user in group system:masters). */
    readonly kubeConfig: KubeConfig,
    /** https://127.0.0.1:<port> */
    readonly server: string,
    /** http://127.0.0.1:<port> of the etcd this API server stores in. */
    readonly etcdEndpoint: string,
  ) {}

  /** An API client of the admin, e.g. `makeApiClient(CoreV1Api)`. */
  makeApiClient<T extends ApiType>(api: new (config: any) => T): T {
    return this.kubeConfig.makeApiClient(api);
  }

  private derive(user: Record<string, unknown>): KubeConfig {
    const base = this.kubeConfig.getCurrentCluster()!;
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: base.name, server: base.server, caData: base.caData, caFile: base.caFile, skipTLSVerify: false }],
      users: [{ name: 'user', ...user }],
      contexts: [{ name: 'ctx', cluster: base.name, user: 'user' }],
      currentContext: 'ctx',
    });
    return kc;
  }

  /**
   * A KubeConfig that acts as ServiceAccount `namespace/name` through impersonation
   * (the API server adds the groups system:serviceaccounts and
   * system:serviceaccounts:<namespace>), so RBAC decides exactly as for the real
   * ServiceAccount. The ServiceAccount need not exist.
   */
  clientAs(namespace: string, serviceAccount: string): KubeConfig {
    const admin = this.kubeConfig.getCurrentUser()!;
    return this.derive({
      certData: admin.certData,
      certFile: admin.certFile,
      keyData: admin.keyData,
      keyFile: admin.keyFile,
      impersonateUser: `system:serviceaccount:${namespace}:${serviceAccount}`,
    });
  }

  /** A bound token for an existing ServiceAccount, made with the TokenRequest API. */
  async tokenFor(namespace: string, serviceAccount: string, expirationSeconds = 3600): Promise<string> {
    const res = await this.request(
      'POST',
      `/api/v1/namespaces/${namespace}/serviceaccounts/${serviceAccount}/token`,
      { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds } },
    );
    return res.body.status.token as string;
  }

  /** A KubeConfig that authenticates with a TokenRequest token of the ServiceAccount (which must exist). */
  async clientWithToken(namespace: string, serviceAccount: string): Promise<KubeConfig> {
    return this.derive({ token: await this.tokenFor(namespace, serviceAccount) });
  }

  /**
   * A raw API request (JSON in, JSON out). Throws `KubeApiError` on a status >= 400
   * unless `allowStatus` lists it.
   */
  async request<T = any>(
    method: string,
    path: string,
    body?: unknown,
    opts: { contentType?: string; kubeConfig?: KubeConfig; allowStatus?: number[] } = {},
  ): Promise<RawResponse<T>> {
    const kc = opts.kubeConfig ?? this.kubeConfig;
    const server = kc.getCurrentCluster()?.server ?? this.server;
    const reqOpts: RequestOptions = { method, headers: { Accept: 'application/json' } };
    await kc.applyToHTTPSOptions(reqOpts);
    const token = kc.getCurrentUser()?.token;
    const headers = reqOpts.headers as Record<string, string>;
    if (token) headers.Authorization = `Bearer ${token}`;
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    if (payload) {
      headers['Content-Type'] = opts.contentType ?? 'application/json';
      headers['Content-Length'] = String(payload.length);
    }
    return new Promise((resolve, reject) => {
      const req = httpsRequest(new URL(path, server), reqOpts, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: any = text;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            /* not JSON: keep the text */
          }
          const status = res.statusCode ?? 0;
          const raw = res.headers.warning;
          const warnings = (Array.isArray(raw) ? raw : raw ? [raw] : []).map(parseWarning);
          if (status >= 400 && !opts.allowStatus?.includes(status)) {
            reject(new KubeApiError(method, path, status, parsed));
          } else {
            resolve({ statusCode: status, body: parsed as T, warnings });
          }
        });
      });
      req.on('error', (err) => reject(new Error(`${method} ${server}${path}: ${err.message}`)));
      req.setTimeout(60_000, () => req.destroy(new Error('request timed out after 60 s')));
      if (payload) req.write(payload);
      req.end();
    });
  }

  private async resourcesOf(apiVersion: string, refresh: boolean): Promise<ApiResource[]> {
    if (!refresh && this.discovery.has(apiVersion)) return this.discovery.get(apiVersion)!;
    const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const res = await this.request('GET', path, undefined, { allowStatus: [404, 503] });
    const list: ApiResource[] = res.statusCode === 200 ? res.body.resources : [];
    this.discovery.set(apiVersion, list);
    return list;
  }

  /** Discovery: the resource serving `kind` in `apiVersion` (refreshed once on a miss). */
  async resourceFor(apiVersion: string, kind: string): Promise<ApiResource> {
    for (const refresh of [false, true]) {
      const hit = (await this.resourcesOf(apiVersion, refresh)).find(
        (r) => r.kind === kind && !r.name.includes('/'),
      );
      if (hit) return hit;
    }
    throw new Error(`the API server serves no kind ${kind} in ${apiVersion} (is its CRD applied and established?)`);
  }

  /** The REST path of an object (collection path when `name` is omitted). */
  async pathOf(obj: KubeObject, defaultNamespace = 'default', withName = true): Promise<string> {
    const r = await this.resourceFor(obj.apiVersion, obj.kind);
    const prefix = obj.apiVersion.includes('/') ? `/apis/${obj.apiVersion}` : `/api/${obj.apiVersion}`;
    const ns = r.namespaced ? `/namespaces/${obj.metadata?.namespace ?? defaultNamespace}` : '';
    const name = withName && obj.metadata?.name ? `/${encodeURIComponent(obj.metadata.name)}` : '';
    return `${prefix}${ns}/${r.name}${name}`;
  }

  /** GET an object; undefined when it does not exist. */
  async get<T extends KubeObject = KubeObject>(obj: KubeObject, namespace?: string): Promise<T | undefined> {
    const res = await this.request<T>('GET', await this.pathOf(obj, namespace), undefined, { allowStatus: [404] });
    return res.statusCode === 404 ? undefined : res.body;
  }

  /** DELETE an object (background propagation unless told otherwise); true when it existed. */
  async delete(
    obj: KubeObject,
    opts: { namespace?: string; propagationPolicy?: 'Background' | 'Foreground' | 'Orphan' } = {},
  ): Promise<boolean> {
    const res = await this.request(
      'DELETE',
      await this.pathOf(obj, opts.namespace),
      { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: opts.propagationPolicy ?? 'Background' },
      { allowStatus: [404] },
    );
    return res.statusCode !== 404;
  }

  /** Polls `check` until it returns a value other than undefined/false; throws naming `what` on timeout. */
  async waitFor<T>(
    what: string,
    check: () => Promise<T | undefined | false>,
    { timeoutMs = 30_000, intervalMs = 100 }: { timeoutMs?: number; intervalMs?: number } = {},
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    for (;;) {
      try {
        const v = await check();
        if (v !== undefined && v !== false) return v as T;
      } catch (err) {
        lastError = err;
      }
      if (Date.now() > deadline) {
        const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
      }
      await sleep(intervalMs);
    }
  }

  /**
   * Creates a namespace `<prefix>-<random>` and its `default` ServiceAccount (which
   * the controller manager would make; creating it here keeps pods admissible on an
   * API server without one). Restricted PodSecurity unless `restricted: false`.
   */
  async createNamespace(prefix: string, opts: NamespaceOptions = {}): Promise<string> {
    const base = prefix.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 50) || 'test';
    const name = `${base}-${randomSuffix()}`;
    const labels: Record<string, string> = { ...opts.labels };
    if (opts.restricted ?? true) {
      for (const mode of ['enforce', 'warn', 'audit']) {
        labels[`pod-security.kubernetes.io/${mode}`] = 'restricted';
        labels[`pod-security.kubernetes.io/${mode}-version`] = 'latest';
      }
    }
    await this.request('POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, labels },
    });
    await this.request(
      'POST',
      `/api/v1/namespaces/${name}/serviceaccounts`,
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } },
      { allowStatus: [409] },
    );
    return name;
  }

  /** Deletes a namespace (returns at once; the namespace controller empties it). */
  async deleteNamespace(name: string): Promise<void> {
    await this.request('DELETE', `/api/v1/namespaces/${name}`, undefined, { allowStatus: [404] });
  }

  /**
   * Server-side applies plain manifest objects: CustomResourceDefinitions first
   * (each waited for until Established), then Namespaces, then the rest in the
   * given order. Returns the objects as the server stored them (with
   * resourceVersion), in the order given.
   */
  async applyObjects(objects: readonly KubeObject[], opts: ApplyOptions): Promise<KubeObject[]> {
    const rank = (o: KubeObject) =>
      o.kind === 'CustomResourceDefinition' ? 0 : o.kind === 'Namespace' ? 1 : 2;
    const order = objects.map((o, i) => ({ o, i })).sort((a, b) => rank(a.o) - rank(b.o) || a.i - b.i);
    const results: KubeObject[] = new Array(objects.length);
    const problems: string[] = [];
    let crdsWaited = false;
    for (const { o, i } of order) {
      if (rank(o) > 0 && !crdsWaited) {
        crdsWaited = true;
        await this.waitForCrds(objects.filter((x) => rank(x) === 0), opts.crdTimeoutMs ?? 30_000);
      }
      if (!o.apiVersion || !o.kind || !o.metadata?.name) {
        throw new Error(`cannot apply an object without apiVersion, kind and metadata.name: ${JSON.stringify(o).slice(0, 200)}`);
      }
      const path = await this.pathOf(o, opts.namespace ?? 'default');
      const params = new URLSearchParams({ fieldManager: opts.fieldManager });
      if (opts.force) params.set('force', 'true');
      if (opts.dryRun) params.set('dryRun', 'All');
      const res = await this.request<KubeObject>('PATCH', `${path}?${params}`, o, {
        contentType: 'application/apply-patch+yaml',
        kubeConfig: opts.kubeConfig,
      }).catch((err: Error) => {
        throw new Error(`server-side apply of ${objectRef(o)} failed: ${err.message}`, { cause: err });
      });
      results[i] = res.body;
      for (const w of res.warnings) {
        const mode = opts.warnings ?? 'error';
        if (typeof mode === 'function') mode(w, o);
        else if (mode === 'error') problems.push(`${objectRef(o)}: ${w}`);
      }
    }
    if (!crdsWaited) await this.waitForCrds(objects, opts.crdTimeoutMs ?? 30_000);
    if (problems.length > 0) {
      throw new Error(`the API server warned about ${problems.length} applied object(s):\n  ${problems.join('\n  ')}`);
    }
    return results;
  }

  /** Waits until every CRD among `objects` is Established and its kind is discoverable. */
  async waitForCrds(objects: readonly KubeObject[], timeoutMs = 30_000): Promise<void> {
    const crds = objects.filter((o) => o.kind === 'CustomResourceDefinition');
    for (const crd of crds) {
      const name = crd.metadata!.name!;
      const spec = crd.spec as { group: string; names: { kind: string }; versions: { name: string; served?: boolean }[] };
      await this.waitFor(
        `CustomResourceDefinition ${name} to be Established`,
        async () => {
          const res = await this.request('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`);
          const conds: { type: string; status: string }[] = res.body?.status?.conditions ?? [];
          return conds.some((c) => c.type === 'Established' && c.status === 'True');
        },
        { timeoutMs },
      );
      for (const v of spec.versions.filter((x) => x.served !== false)) {
        await this.waitFor(`${spec.names.kind} in ${spec.group}/${v.name} to be discoverable`, async () => {
          await this.resourceFor(`${spec.group}/${v.name}`, spec.names.kind);
          return true;
        }, { timeoutMs });
      }
    }
  }
}
