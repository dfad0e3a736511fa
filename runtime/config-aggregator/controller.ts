import { describeAppConfigProblem } from '../../lib/api/config-aggregator/schema.js';
import { Counter, Gauge } from 'prom-client';
import {
  Backoff,
  Controller,
  EventRecorder,
  InformerCache,
  NotLeaderError,
  clientEventSink,
  guardWrites,
  silentLogger,
  type ControllerContext,
  type EventSink,
  type InvolvedObject,
  type KitMetrics,
  type KubeClient,
  type ListerWatcher,
  type Logger,
  type Runnable,
  type SharedInformer,
  LeaderWorker,
} from '../kit/index.js';
import {
  Aggregator,
  CONFIGMAP_MAX_BYTES,
  compileSchema,
  configMapDataSize,
  type CompiledSchema,
  type SourceConfigMap,
} from './aggregate.js';
import { SCHEMA_KEY, type ConfigAggregatorOptions } from './flags.js';

export type ConfigMap = SourceConfigMap & {
  metadata?: SourceConfigMap['metadata'] & { labels?: Record<string, string>; annotations?: Record<string, string> };
};

/** Writes the aggregate ConfigMap (server-side apply). */
export interface AggregateWriter {
  apply(configMap: ConfigMap): Promise<ConfigMap>;
}

const CONFIGMAPS = { apiVersion: 'v1', resource: 'configmaps' } as const;

/** Server-side apply of the aggregate through the typed client (its field manager, force: the aggregate is ours). */
export function apiAggregateWriter(client: KubeClient): AggregateWriter {
  return { apply: (cm) => client.apply(CONFIGMAPS, cm, { force: true }) };
}

export interface ConfigAggregatorDeps {
  readonly options: ConfigAggregatorOptions;
  readonly metrics: KitMetrics;
  readonly logger?: Logger;
  /** May this replica write now? Gates the worker and every write. */
  readonly isLeader: () => boolean;
  /** The informers come from this shared cache, which its owner (the manager) starts. @default a private cache */
  readonly cache?: InformerCache;
  /** ListerWatchers of the three watched sets, instead of the API server (tests inject fakes). */
  readonly sources?: {
    readonly apps: ListerWatcher<ConfigMap>;
    readonly schema: ListerWatcher<ConfigMap>;
    readonly aggregate: ListerWatcher<ConfigMap>;
  };
  readonly writer: AggregateWriter;
  readonly events: EventSink;
  /** `reportingInstance` of Events. */
  readonly identity: string;
  /** Backoff of the informers of a private cache after a failed list or watch. @default 800 ms doubling to 30 s */
  readonly backoff?: () => Backoff;
  /** Server-side watch timeout of the informers of a private cache. @default 300 */
  readonly watchTimeoutSeconds?: number;
}

/** Wires the manager's cache and client into the deps (production). */
export function apiDeps(ctx: ControllerContext, options: ConfigAggregatorOptions): ConfigAggregatorDeps {
  return {
    options,
    metrics: ctx.metrics,
    logger: ctx.logger,
    isLeader: () => ctx.isLeader(),
    identity: ctx.identity,
    cache: ctx.cache,
    writer: apiAggregateWriter(ctx.client),
    events: clientEventSink(ctx.client),
  };
}

const KEY = 'aggregate';

/**
 * The config aggregator: watches labelled ConfigMaps in all namespaces, the schema ConfigMap and
 * the aggregate itself; any change enqueues one key; reconcile recomputes the aggregate from the
 * caches and applies it only when its content differs from what the cluster holds.
 */
export class ConfigAggregatorController {
  readonly apps: SharedInformer<ConfigMap>;
  readonly schemaInformer: SharedInformer<ConfigMap>;
  readonly aggregateInformer: SharedInformer<ConfigMap>;
  readonly controller: Controller<string>;
  /** The cache the informers come from; started and stopped here only when it is private. */
  private readonly cache: InformerCache;
  private readonly ownsCache: boolean;
  private readonly writer: AggregateWriter;
  private readonly aggregator = new Aggregator();
  private readonly recorder: EventRecorder;
  private readonly log: Logger;
  private schema?: CompiledSchema;
  private schemaTextHash?: string;
  private readonly worker: LeaderWorker;
  /**
   * Our last write, until the aggregate's watch reports any change: while the cache still shows
   * the version we replaced, a reconcile must not write the same text again.
   */
  private lastWrite?: { text: string; rvBefore?: string };
  /** Bumped by every change of the application ConfigMaps: an unchanged input reuses the last build. */
  private inputsVersion = 0;
  private lastBuild?: { inputsVersion: number; schemaHash: string; agg: ReturnType<Aggregator['build']> };
  private readonly m: {
    entries: Gauge;
    invalid: Gauge;
    invalidReported: Counter;
    schemaValid: Gauge;
    schemaErrors: Counter;
    writes: Counter;
    skipped: Counter<'reason'>;
    tooLarge: Counter;
    bytes: Gauge;
    lastWrite: Gauge;
  };

  constructor(private readonly deps: ConfigAggregatorDeps) {
    const { metrics } = deps;
    this.log = (deps.logger ?? silentLogger()).child({ controller: 'config-aggregator' });
    const registers = [metrics.registry];
    this.m = {
      entries: new Gauge({ name: 'config_aggregator_entries', help: 'Valid entries in the aggregate.', registers }),
      invalid: new Gauge({ name: 'config_aggregator_invalid_entries', help: 'Entries left out because they are invalid.', registers }),
      invalidReported: new Counter({ name: 'config_aggregator_invalid_entries_reported_total', help: 'Invalid entries reported (Event + log).', registers }),
      schemaValid: new Gauge({ name: 'config_aggregator_schema_valid', help: '1 when the schema ConfigMap holds a valid JSON Schema; 0 while the last good one is used.', registers }),
      schemaErrors: new Counter({ name: 'config_aggregator_schema_errors_total', help: 'Schema ConfigMap versions rejected (missing, not JSON, not a JSON Schema).', registers }),
      writes: new Counter({ name: 'config_aggregator_writes_total', help: 'Writes of the aggregate ConfigMap.', registers }),
      skipped: new Counter({ name: 'config_aggregator_writes_skipped_total', help: 'Reconciles that did not write, by reason.', labelNames: ['reason'], registers }),
      tooLarge: new Counter({ name: 'config_aggregator_aggregate_too_large_total', help: 'Aggregates not written because they exceed the 1 MiB ConfigMap limit.', registers }),
      bytes: new Gauge({ name: 'config_aggregator_aggregate_bytes', help: 'Size of the last computed aggregate.', registers }),
      lastWrite: new Gauge({ name: 'config_aggregator_last_write_timestamp_seconds', help: 'When the aggregate was last written.', registers }),
    };
    this.ownsCache = !deps.cache;
    this.cache =
      deps.cache ?? new InformerCache({ logger: deps.logger, metrics, backoff: deps.backoff, watchTimeoutSeconds: deps.watchTimeoutSeconds });
    const o = deps.options;
    const own = { ...CONFIGMAPS, namespace: o.namespace };
    this.apps = this.cache.informer<ConfigMap>(CONFIGMAPS, { labelSelector: o.labelSelector }, { name: 'app-configs', listerWatcher: deps.sources?.apps });
    this.schemaInformer = this.cache.informer<ConfigMap>(own, { fieldSelector: `metadata.name=${o.schemaConfigMap}` }, { name: 'schema', listerWatcher: deps.sources?.schema });
    this.aggregateInformer = this.cache.informer<ConfigMap>(own, { fieldSelector: `metadata.name=${o.configmapName}` }, { name: 'aggregate', listerWatcher: deps.sources?.aggregate });
    this.controller = new Controller({ name: 'config-aggregator', reconciler: this, logger: deps.logger, metrics, isLeader: deps.isLeader });
    this.worker = new LeaderWorker({
      name: 'config-aggregator',
      controller: this.controller,
      resyncIntervalMs: deps.options.resyncIntervalMs,
      resync: () => this.controller.queue.add(KEY),
      onStartedLeading: () => this.onStartedLeading(),
    });
    this.writer = guardWrites(deps.writer, deps.isLeader, ['apply']);
    this.recorder = new EventRecorder({ sink: deps.events, component: 'config-aggregator', instance: deps.identity, logger: deps.logger });
    const enqueue = () => this.controller.queue.addAfter(KEY, deps.options.debounceMs);
    for (const inf of [this.apps, this.schemaInformer, this.aggregateInformer]) {
      inf.addHandler({ onAdd: enqueue, onUpdate: enqueue, onDelete: enqueue, onSync: enqueue });
    }
    const appsChanged = () => this.inputsVersion++;
    this.apps.addHandler({ onAdd: appsChanged, onUpdate: appsChanged, onDelete: appsChanged, onSync: appsChanged });
    const caughtUp = () => (this.lastWrite = undefined);
    this.aggregateInformer.addHandler({ onAdd: caughtUp, onUpdate: caughtUp, onDelete: caughtUp, onSync: caughtUp });
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

  /** Becoming leader: recompute at once. */
  onStartedLeading(): void {
    this.lastWrite = undefined;
    this.controller.queue.add(KEY);
  }

  /** Readiness: every cache has completed its first full list. */
  notReadyReason(): string | undefined {
    const pending = [this.apps, this.schemaInformer, this.aggregateInformer].filter((i) => !i.hasSynced()).map((i) => i.name);
    return pending.length ? `waiting for first sync of ${pending.join(', ')}` : undefined;
  }

  async reconcile(): Promise<void> {
    if (this.notReadyReason()) return this.skip('not_synced');
    const o = this.deps.options;
    const schema = await this.currentSchema();
    if (!schema) return this.skip('no_schema');

    // Our own writes, hand edits of the aggregate and resyncs do not change the inputs: no rebuild.
    let agg = this.lastBuild?.inputsVersion === this.inputsVersion && this.lastBuild.schemaHash === schema.hash ? this.lastBuild.agg : undefined;
    if (!agg) {
      const inputsVersion = this.inputsVersion;
      agg = this.aggregator.build(this.apps.list(), schema);
      this.lastBuild = { inputsVersion, schemaHash: schema.hash, agg };
    }
    this.m.entries.set(agg.entries);
    this.m.invalid.set(agg.invalid.length);

    const current = this.aggregateInformer.get(o.namespace, o.configmapName);
    const data = { ...(current?.data ?? {}), [o.configmapKey]: agg.text };
    const size = configMapDataSize(data);
    this.m.bytes.set(Buffer.byteLength(agg.text));
    if (size > CONFIGMAP_MAX_BYTES) {
      this.m.tooLarge.inc();
      const message = `aggregate of ${agg.entries} entries is ${size} bytes, over the ConfigMap limit of ${CONFIGMAP_MAX_BYTES}; keeping the last good aggregate`;
      this.log.error({ bytes: size, entries: agg.entries }, message);
      if (current) await this.recorder.record(withKind(current), 'Warning', 'AggregateTooLarge', message, `too-large/${size}/${current.metadata?.resourceVersion}`);
      this.skip('too_large');
    } else if (current?.data?.[o.configmapKey] === agg.text) {
      this.skip('unchanged');
    } else if (this.lastWrite?.text === agg.text && this.lastWrite.rvBefore === current?.metadata?.resourceVersion) {
      this.skip('own_write_in_flight');
    } else {
      const rvBefore = current?.metadata?.resourceVersion;
      try {
        await this.writer.apply({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: o.configmapName, namespace: o.namespace, labels: { 'app.kubernetes.io/managed-by': 'config-aggregator' } },
          data: { [o.configmapKey]: agg.text },
        });
      } catch (err) {
        if (err instanceof NotLeaderError) return this.skip('lost_lease');
        throw err;
      }
      this.lastWrite = { text: agg.text, rvBefore };
      this.m.writes.inc();
      this.m.lastWrite.setToCurrentTime();
      this.log.info({ entries: agg.entries, invalid: agg.invalid.length, bytes: size, created: current === undefined }, 'aggregate written');
    }
    await this.reportInvalid(agg.invalid, schema);
  }

  private skip(reason: string): void {
    this.m.skipped.inc({ reason });
  }

  /** The schema to validate with: the ConfigMap's when valid, else the last good one (Event + metric). */
  private async currentSchema(): Promise<CompiledSchema | undefined> {
    const o = this.deps.options;
    const cm = this.schemaInformer.get(o.namespace, o.schemaConfigMap);
    const text = cm?.data?.[SCHEMA_KEY];
    const textHash = cm ? `${cm.metadata?.uid}/${cm.metadata?.resourceVersion}` : 'missing';
    if (textHash === this.schemaTextHash) return this.schema;
    this.schemaTextHash = textHash;
    const result = compileSchema(text);
    if (result.ok) {
      this.schema = result.schema;
      this.m.schemaValid.set(1);
      this.log.info({ schemaHash: result.schema.hash }, 'schema loaded');
      return this.schema;
    }
    this.m.schemaValid.set(0);
    this.m.schemaErrors.inc();
    const reason = cm && text === undefined ? `key ${SCHEMA_KEY} is missing` : result.reason;
    const keeping = this.schema ? 'keeping the last good schema' : 'no good schema yet: the aggregate is not written';
    const message = `${o.namespace}/${o.schemaConfigMap}: ${reason}; ${keeping}`;
    this.log.error({ schemaConfigMap: o.schemaConfigMap }, message);
    // A missing schema ConfigMap has nowhere to show an Event: report on the aggregate instead.
    const about = cm ?? this.aggregateInformer.get(o.namespace, o.configmapName);
    if (about) await this.recorder.record(withKind(about), 'Warning', cm ? 'InvalidSchema' : 'SchemaMissing', message);
    return this.schema;
  }

  private async reportInvalid(invalid: ReturnType<Aggregator['build']>['invalid'], schema: CompiledSchema): Promise<void> {
    const work: Array<() => Promise<unknown>> = [];
    for (const e of invalid) {
      const dedup = `${e.uid}/${e.resourceVersion}/${e.key}/${schema.hash}`;
      // The same words as the construct's synth-time error for the same config.
      const message = `data key "${e.key}" ${describeAppConfigProblem(e)}; entry left out of the aggregate ${this.deps.options.namespace}/${this.deps.options.configmapName}`;
      const obj = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: e.name, namespace: e.namespace, uid: e.uid, resourceVersion: e.resourceVersion } };
      work.push(async () => {
        const recorded = await this.recorder.record(obj, 'Warning', 'InvalidConfig', message, dedup);
        if (recorded) {
          this.m.invalidReported.inc();
          this.log.warn({ namespace: e.namespace, name: e.name, key: e.key, pointer: e.pointer, reason: e.reason }, 'invalid application config left out');
        }
      });
    }
    // A few Events at a time: a flood of invalid entries must not flood the API server.
    const running: Promise<unknown>[] = [];
    for (const w of work) {
      running.push(w());
      if (running.length >= 8) await Promise.allSettled(running.splice(0));
    }
    await Promise.allSettled(running);
  }
}

function withKind(cm: ConfigMap): ConfigMap & InvolvedObject {
  return { ...cm, apiVersion: 'v1', kind: 'ConfigMap' };
}
