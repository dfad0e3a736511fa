import { Counter, Gauge } from 'prom-client';
import {
  GENERATED_AT_ANNOTATION,
  GENERATED_KEYS_ANNOTATION,
  GENERATE_LABEL,
  GENERATE_LABEL_VALUE,
  GenerateSpecError,
  SECRET_GENERATOR_FIELD_MANAGER,
  SPEC_ANNOTATION,
  isPlaceholder,
  parseGenerateSpec,
  type ParsedSpec,
} from '../../lib/api/secret-generator/index.js';
import {
  ApiError,
  Backoff,
  Controller,
  EventRecorder,
  InformerCache,
  backoffDelay,
  clientEventSink,
  guardWrites,
  keyOf as objectKeyOf,
  silentLogger,
  statusCodeOf,
  type ControllerContext,
  type EventSink,
  type InvolvedObject,
  type KitMetrics,
  type KubeClient,
  type KubeObject,
  type ListerWatcher,
  type Logger,
  type Runnable,
  type SharedInformer,
  LeaderWorker,
} from '../kit/index.js';
import type { SecretGeneratorOptions } from './flags.js';
import { ExistingDataError, fillSecret, missingKeys, type OtherSecret } from './generate.js';

/** A core/v1 Secret as plain JSON. */
export interface Secret extends KubeObject {
  type?: string;
  data?: Record<string, string>;
}

/** Reads Secrets the informers do not hold, and writes generated data. */
export interface SecretClient {
  /** GET; undefined on 404. */
  get(namespace: string, name: string): Promise<Secret | undefined>;
  /** Server-side apply of `secret` by the generator's field manager. */
  apply(secret: Secret, force: boolean): Promise<Secret>;
}

const SECRETS = { apiVersion: 'v1', resource: 'secrets' } as const;

/** Reads and server-side applies through the typed client (field manager of the generator). */
export function apiSecretClient(client: KubeClient): SecretClient {
  return {
    get: (namespace, name) => client.get<Secret>({ ...SECRETS, namespace }, name),
    apply: (secret, force) => client.apply(SECRETS, secret, { force, fieldManager: SECRET_GENERATOR_FIELD_MANAGER }),
  };
}

export interface SecretGeneratorDeps {
  readonly options: SecretGeneratorOptions;
  readonly metrics: KitMetrics;
  readonly logger?: Logger;
  /** May this replica write now? Gates the workers and every write. */
  readonly isLeader: () => boolean;
  /** The informers come from this shared cache, which its owner (the manager) starts. @default a private cache */
  readonly cache?: InformerCache;
  /** The labelled Secrets of one namespace, or of all when `namespace` is undefined, instead of the API server (tests inject fakes). */
  readonly source?: (namespace: string | undefined) => ListerWatcher<Secret>;
  readonly client: SecretClient;
  readonly events: EventSink;
  /** `reportingInstance` of Events. */
  readonly identity: string;
  readonly backoff?: () => Backoff;
  readonly watchTimeoutSeconds?: number;
  /** The clock (tests). @default () => new Date() */
  readonly now?: () => Date;
}

/** Wires the manager's cache and client into the deps (production). */
export function apiDeps(ctx: ControllerContext, options: SecretGeneratorOptions): SecretGeneratorDeps {
  return {
    options,
    metrics: ctx.metrics,
    logger: ctx.logger,
    isLeader: () => ctx.isLeader(),
    identity: ctx.identity,
    cache: ctx.cache,
    client: apiSecretClient(ctx.client),
    events: clientEventSink(ctx.client),
  };
}

type State = 'complete' | 'waiting' | 'invalid';

/**
 * The secret generator: watches Secrets labelled `platform-constructs.io/generate=true` and adds
 * the keys their spec names and their data lacks; never changes a key that exists. A Secret
 * waiting for another (a template's source, its issuer) is retried with backoff, and at once
 * when that other Secret is a labelled one that changes.
 */
export class SecretGeneratorController {
  readonly informers: ReadonlyMap<string, SharedInformer<Secret>>;
  readonly controller: Controller<string>;
  private readonly cache: InformerCache;
  private readonly ownsCache: boolean;
  private readonly client: SecretClient;
  private readonly recorder: EventRecorder;
  private readonly log: Logger;
  private readonly specs = new Map<string, { text: string; spec?: ParsedSpec; error?: GenerateSpecError }>();
  private readonly states = new Map<string, State>();
  /** `ns/name` of a Secret -> keys of the Secrets waiting on it. */
  private readonly dependents = new Map<string, Set<string>>();
  private readonly retries = new Map<string, number>();
  /** Our last write per key, until the cache shows a newer version than the one we replaced. */
  private readonly written = new Map<string, string>();
  private readonly worker: LeaderWorker;
  private readonly m: {
    secrets: Gauge<'state'>;
    writes: Counter;
    keys: Counter<'generator'>;
    certificates: Counter;
    invalid: Counter;
    waits: Counter;
    conflicts: Counter;
  };

  constructor(private readonly deps: SecretGeneratorDeps) {
    const { metrics } = deps;
    this.log = (deps.logger ?? silentLogger()).child({ controller: 'secret-generator' });
    const registers = [metrics.registry];
    this.m = {
      secrets: new Gauge({ name: 'secret_generator_secrets', help: 'Labelled Secrets by state: complete, waiting (for another Secret), invalid (spec or data).', labelNames: ['state'], registers }),
      writes: new Counter({ name: 'secret_generator_writes_total', help: 'Writes of generated data (one per Secret filled or completed).', registers }),
      keys: new Counter({ name: 'secret_generator_keys_generated_total', help: 'Keys generated, by generator.', labelNames: ['generator'], registers }),
      certificates: new Counter({ name: 'secret_generator_certificates_issued_total', help: 'Key pairs and certificates issued.', registers }),
      invalid: new Counter({ name: 'secret_generator_invalid_total', help: 'Secrets not filled because their spec or data is invalid (reported with a Warning Event).', registers }),
      waits: new Counter({ name: 'secret_generator_dependency_waits_total', help: 'Reconciles that left keys waiting for another Secret.', registers }),
      conflicts: new Counter({ name: 'secret_generator_write_conflicts_total', help: 'Writes refused because the Secret changed since it was read (retried).', registers }),
    };
    for (const s of ['complete', 'waiting', 'invalid']) this.m.secrets.set({ state: s }, 0);
    this.ownsCache = !deps.cache;
    this.cache =
      deps.cache ?? new InformerCache({ logger: deps.logger, metrics, backoff: deps.backoff, watchTimeoutSeconds: deps.watchTimeoutSeconds });
    const watched = deps.options.namespaces.length ? deps.options.namespaces : [undefined];
    const informers = new Map<string, SharedInformer<Secret>>();
    for (const ns of watched) {
      informers.set(
        ns ?? '',
        this.cache.informer<Secret>(
          { ...SECRETS, namespace: ns },
          { labelSelector: `${GENERATE_LABEL}=${GENERATE_LABEL_VALUE}` },
          { name: ns ? `secrets/${ns}` : 'secrets', listerWatcher: deps.source?.(ns) },
        ),
      );
    }
    this.informers = informers;
    this.controller = new Controller({
      name: 'secret-generator',
      reconciler: this,
      logger: deps.logger,
      metrics,
      workers: deps.options.workers,
      isLeader: deps.isLeader,
    });
    this.worker = new LeaderWorker({
      name: 'secret-generator',
      controller: this.controller,
      resyncIntervalMs: deps.options.resyncIntervalMs,
      resync: () => this.enqueueAll(),
      onStartedLeading: () => this.onStartedLeading(),
    });
    this.client = guardWrites(deps.client, deps.isLeader, ['apply']);
    this.recorder = new EventRecorder({ sink: deps.events, component: 'secret-generator', instance: deps.identity, logger: deps.logger });
    // A change of a Secret enqueues it and the Secrets waiting on it.
    const withDependents = (s: Secret) => {
      const key = objectKeyOf(s);
      return [key, ...(this.dependents.get(key) ?? [])];
    };
    for (const inf of informers.values()) this.controller.watches(inf, withDependents);
  }

  /**
   * For the manager: the worker${'s' if fn=='Workers' else ''} (and the resync) run only on the leader; the informers are in
   * the manager's cache, warm on every replica.
   */
  runnables(): Runnable[] {
    return [this.worker.runnable()];
  }

  /** Standalone (tests): starts a private cache and the worker${'s' if fn=='Workers' else ''}; writes happen only while `isLeader()`. */
  start(): void {
    if (this.ownsCache) this.cache.start();
    this.worker.start();
  }

  async stop(): Promise<void> {
    await this.worker.stop();
    if (this.ownsCache) await this.cache.stop();
  }

  /** Becoming leader: look at every labelled Secret. */
  onStartedLeading(): void {
    this.written.clear();
    this.enqueueAll();
  }

  notReadyReason(): string | undefined {
    const pending = [...this.informers.values()].filter((i) => !i.hasSynced()).map((i) => i.name);
    return pending.length ? `waiting for first sync of ${pending.join(', ')}` : undefined;
  }

  private enqueueAll(): void {
    for (const inf of this.informers.values()) for (const s of inf.list()) this.controller.queue.add(keyOf(s));
  }

  private informerFor(namespace: string): SharedInformer<Secret> | undefined {
    return this.informers.get(namespace) ?? this.informers.get('');
  }

  async reconcile(key: string): Promise<{ requeueAfterMs: number } | void> {
    const [namespace, name] = key.split('/') as [string, string];
    const secret = this.informerFor(namespace)?.get(namespace, name);
    if (!secret || secret.metadata?.labels?.[GENERATE_LABEL] !== GENERATE_LABEL_VALUE) return this.forget(key);
    const rv = secret.metadata.resourceVersion ?? '';
    if (this.written.get(key) === rv) return; // our write is on its way into the cache
    this.written.delete(key);

    const parsed = this.parse(key, secret);
    if (!parsed.spec) return this.invalid(secret, parsed.error!.message, `spec/${parsed.error!.message}`);
    const spec = parsed.spec;
    const type = secret.type ?? 'Opaque';
    const raw = secret.data ?? {};
    if (missingKeys(spec, raw, type).length === 0) return this.complete(key);

    // The other Secrets this one may need: cache first (labelled ones), else a GET.
    const names = new Set<string>([...spec.secretRefs.map((r) => r.secret), ...(spec.certificate?.issuer ? [spec.certificate.issuer] : [])]);
    const others = new Map<string, OtherSecret | undefined>();
    const unreadable = new Map<string, string>();
    for (const n of names) {
      let other = this.informerFor(namespace)?.get(namespace, n);
      if (!other) {
        try {
          other = await this.client.get(namespace, n);
        } catch (err) {
          // Forbidden: RBAC does not reach it (report and wait); anything else is retried as an error.
          if (statusCodeOf(err) !== 403) throw err;
          unreadable.set(n, `cannot read Secret "${n}": ${err instanceof ApiError ? err.message : String(err)}`);
        }
      }
      others.set(n, other ? { data: decode(other.data), generating: other.metadata?.labels?.[GENERATE_LABEL] === GENERATE_LABEL_VALUE } : undefined);
    }

    let result: ReturnType<typeof fillSecret>;
    try {
      result = fillSecret({ spec, type, data: decode(raw), secrets: (n) => others.get(n), now: this.now() });
    } catch (err) {
      if (err instanceof ExistingDataError) {
        const message = `annotation ${SPEC_ANNOTATION}: ${err.message}`;
        return this.invalid(secret, message, `data/${rv}/${message}`);
      }
      throw err;
    }

    for (const dep of names) this.dependents.get(`${namespace}/${dep}`)?.delete(key);
    const added = Object.keys(result.added).sort();
    if (added.length) {
      await this.write(secret, result.added);
      this.m.writes.inc();
      for (const k of added) this.m.keys.inc({ generator: result.kinds[k] });
      if (result.issued) this.m.certificates.inc();
      this.log.info({ namespace, name, keys: added, waiting: [...result.waiting.keys()] }, 'generated keys');
      await this.recorder.record(withKind(secret), 'Normal', 'Generated', `generated keys ${added.map((k) => `"${k}"`).join(', ')}`, `generated/${secret.metadata.uid}/${added.join(',')}/${rv}`);
    }
    if (result.waiting.size === 0) return this.complete(key);

    // Keys left waiting for another Secret: retry with backoff, and at once when that Secret changes.
    for (const dep of result.waitingOn) {
      const k = `${namespace}/${dep}`;
      if (!this.dependents.has(k)) this.dependents.set(k, new Set());
      this.dependents.get(k)!.add(key);
    }
    this.setState(key, 'waiting');
    this.m.waits.inc();
    const reasons = [...result.waiting].map(([k, why]) => `key "${k}": ${why}`);
    const denied = result.waitingOn.flatMap((n) => (unreadable.has(n) ? [unreadable.get(n)!] : []));
    const message = `annotation ${SPEC_ANNOTATION}: waiting: ${[...reasons, ...denied].join('; ')}; retrying`;
    await this.recorder.record(withKind(secret), 'Warning', 'WaitingForDependency', message, `wait/${secret.metadata.uid}/${message}`);
    const n = this.retries.get(key) ?? 0;
    this.retries.set(key, n + 1);
    return { requeueAfterMs: backoffDelay(n, { initialMs: 1000, maxMs: this.deps.options.maxRetryDelayMs }) };
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  /**
   * Server-side apply of the keys this controller owns: those it generated before (they must be
   * in every apply, or the apply would remove them) and the new ones, with the status
   * annotations; the resourceVersion makes it fail rather than act on a stale read.
   */
  private async write(secret: Secret, added: Readonly<Record<string, Buffer>>): Promise<void> {
    const meta = secret.metadata!;
    const data = secret.data ?? {};
    const type = secret.type ?? 'Opaque';
    const before = (meta.annotations?.[GENERATED_KEYS_ANNOTATION] ?? '').split(',').filter((k) => k && data[k] !== undefined && !(k in added));
    const owned: Record<string, string> = {};
    for (const k of before) owned[k] = data[k];
    for (const [k, v] of Object.entries(added)) owned[k] = v.toString('base64');
    const keys = Object.keys(owned).sort();
    // An empty placeholder the declared manifest owns is taken over (force); nothing else is.
    const force = Object.keys(added).some((k) => data[k] !== undefined && isPlaceholder(type, k, Buffer.from(data[k], 'base64').toString('utf8')));
    const body: Secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: meta.name,
        namespace: meta.namespace,
        resourceVersion: meta.resourceVersion,
        annotations: {
          [GENERATED_AT_ANNOTATION]: this.now().toISOString().replace(/\.\d{3}Z$/, 'Z'),
          [GENERATED_KEYS_ANNOTATION]: keys.join(','),
        },
      },
      data: Object.fromEntries(keys.map((k) => [k, owned[k]])),
    };
    try {
      await this.client.apply(body, force);
      this.written.set(keyOf(secret), meta.resourceVersion ?? '');
    } catch (err) {
      if (statusCodeOf(err) === 409) {
        this.m.conflicts.inc();
        this.log.info({ namespace: meta.namespace, name: meta.name, err: String(err) }, 'secret changed since read; retrying');
      }
      throw err;
    }
  }

  private parse(key: string, secret: Secret): { spec?: ParsedSpec; error?: GenerateSpecError } {
    const text = secret.metadata?.annotations?.[SPEC_ANNOTATION];
    const cached = this.specs.get(key);
    if (cached && cached.text === text) return cached;
    let entry: { text: string; spec?: ParsedSpec; error?: GenerateSpecError };
    try {
      entry = { text: text ?? '', spec: parseGenerateSpec(text, { selfName: secret.metadata?.name }) };
    } catch (err) {
      if (!(err instanceof GenerateSpecError)) throw err;
      entry = { text: text ?? '', error: err };
    }
    if (text !== undefined) this.specs.set(key, entry);
    return entry;
  }

  private async invalid(secret: Secret, message: string, dedup: string): Promise<void> {
    const key = keyOf(secret);
    this.setState(key, 'invalid');
    this.retries.delete(key);
    const recorded = await this.recorder.record(withKind(secret), 'Warning', 'InvalidGenerateSpec', message, `${secret.metadata?.uid}/${dedup}`);
    if (recorded) {
      this.m.invalid.inc();
      this.log.warn({ namespace: secret.metadata?.namespace, name: secret.metadata?.name, reason: message }, 'secret not generated: invalid');
    }
  }

  private complete(key: string): void {
    this.setState(key, 'complete');
    this.retries.delete(key);
  }

  private forget(key: string): void {
    this.states.delete(key);
    this.specs.delete(key);
    this.retries.delete(key);
    this.written.delete(key);
    for (const set of this.dependents.values()) set.delete(key);
    this.updateGauge();
  }

  private setState(key: string, state: State): void {
    this.states.set(key, state);
    this.updateGauge();
  }

  private updateGauge(): void {
    const counts: Record<State, number> = { complete: 0, waiting: 0, invalid: 0 };
    for (const s of this.states.values()) counts[s]++;
    for (const [s, n] of Object.entries(counts)) this.m.secrets.set({ state: s }, n);
  }
}

function keyOf(s: Secret): string {
  return `${s.metadata?.namespace}/${s.metadata?.name}`;
}

function decode(data: Record<string, string> | undefined): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(data ?? {})) out[k] = Buffer.from(v, 'base64');
  return out;
}

function withKind(s: Secret): Secret & InvolvedObject {
  return { ...s, apiVersion: 'v1', kind: 'Secret' };
}
