/**
 * The Konsumerator operator: for each Consumer (or guest-mode ConfigMap), one Deployment per
 * bucket of partitions, sized from Prometheus by the NaivePredictor, level-triggered: every
 * reconcile recomputes what should exist from the caches and writes only what differs.
 *
 * Fixes over the original: a template change rolls out in batches of `maxConcurrentUpdates`
 * (each batch waits for the previous one to be available); missing metrics (Prometheus down, a
 * partition without series) keep the current resources instead of falling to the minimum; a
 * Deployment annotated `disable-autoscaler` keeps its resources; a pending scale-down completes;
 * `criticalLag` without a policy uses the estimate instead of panicking; selectors never overlap.
 */
import { Counter, Gauge } from 'prom-client';
import { parseDuration } from '../../lib/api/flags.js';
import {
  Annotations,
  CONSUMER_UID_LABEL,
  ConsumerConditions,
  DEPLOYMENTS_FINALIZER,
  KONSUMERATOR,
  ScalingStatus,
  type ConsumerSpec,
  type ConsumerStatus,
  type KonsumeratorOptions,
} from '../../lib/api/konsumerator/index.js';
import type { Condition } from '../../lib/api/crd/index.js';
import { quantityValue } from '../../lib/k8s/validators.js';
import {
  Controller,
  EventRecorder,
  LeaderWorker,
  NotLeaderError,
  annotationsChanged,
  anyOf,
  generationChanged,
  keyOf,
  onUpdateOnly,
  rfc3339,
  sameJson,
  silentLogger,
  systemClock,
  type Clock,
  type EventSink,
  type InformerCache,
  type KitMetrics,
  type KubeClient,
  type Logger,
  type Result,
  type Runnable,
  type SharedInformer,
} from '../kit/index.js';
import { parsePartitions, splitIntoBuckets } from './buckets.js';
import {
  amountsOf,
  deploymentNamespace,
  desiredDeployment,
  instanceName,
  ownedProjection,
  policyOf,
  resourcesOf,
  sizedContainers,
  templateHash,
  type Container,
  type Deployment,
} from './instance.js';
import { clampToPolicy, isLagCritical, maxLagSeconds, naiveEstimate, type PartitionMetrics, type ResourceEstimate } from './predictor.js';
import { PrometheusProvider, type PromFetchResult, type PromQueries } from './prometheus.js';
import { decideScaling } from './scaling.js';
import {
  CONFIGMAPS,
  CONSUMERS,
  DEPLOYMENTS,
  isManagedConfigMap,
  viewOfConfigMap,
  viewOfConsumer,
  type ConfigMapObject,
  type ConsumerObject,
  type ConsumerView,
} from './source.js';

/** Marks a Deployment updated from an older template (a rollout batch waits for it to be available). */
export const PREVIOUS_GENERATION_ANNOTATION = `${Annotations.partition.split('/')[0]}/previous-generation`;
const BY_UID = 'consumer-uid';
/** Most entries of `status.lastSyncState` (the most lagging instances). */
export const MAX_SYNC_STATE_ENTRIES = 100;
/** A status that changed only in lastSyncTime / lastSyncState is written at most this often. */
export const SYNC_STATUS_INTERVAL_MS = 60_000;

/** Reads metrics for a Consumer (production: Prometheus). */
export type MetricsSource = (addresses: readonly string[], queries: PromQueries, timeoutMs: number) => Promise<PromFetchResult>;

export interface KonsumeratorDeps {
  readonly options: KonsumeratorOptions;
  readonly cache: InformerCache;
  readonly client: Pick<KubeClient, 'apply' | 'delete' | 'patch' | 'patchStatus'>;
  readonly events: EventSink;
  readonly identity: string;
  readonly metrics: KitMetrics;
  readonly isLeader: () => boolean;
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** @default a PrometheusProvider per address list */
  readonly metricsSource?: MetricsSource;
  /** Resync of every Consumer. @default 5 min */
  readonly resyncIntervalMs?: number;
}

interface MetricsMemo {
  readonly at: number;
  readonly result: PromFetchResult;
  readonly queriesKey: string;
}

interface InstanceCount {
  running: number;
  paused: number;
  lagging: number;
  missing: number;
  outdated: number;
  redundant: number;
}

export class KonsumeratorController {
  readonly controller: Controller<string>;
  readonly sources: SharedInformer<ConsumerObject | ConfigMapObject>;
  readonly deployments: SharedInformer<Deployment>;
  private readonly worker: LeaderWorker;
  private readonly recorder: EventRecorder;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly memo = new Map<string, MetricsMemo>();
  /** Last production rate above 0 per Consumer uid and partition: the lag's rate when production drops to 0 with a backlog. */
  private readonly lastProduction = new Map<string, Map<number, number>>();
  private readonly providers = new Map<string, PrometheusProvider>();
  private readonly m: { writes: Counter<'action'>; metricsErrors: Counter<'reason'>; instances: Gauge<'consumer' | 'state'> };

  constructor(private readonly deps: KonsumeratorDeps) {
    this.log = (deps.logger ?? silentLogger()).child({ controller: KONSUMERATOR });
    this.clock = deps.clock ?? systemClock;
    const registers = [deps.metrics.registry];
    this.m = {
      writes: new Counter({ name: 'konsumerator_deployment_writes_total', help: 'Deployment writes, by action (created, updated, scaled, deleted).', labelNames: ['action'], registers }),
      metricsErrors: new Counter({ name: 'konsumerator_metrics_errors_total', help: 'Metrics fetches that failed (resources held), by reason.', labelNames: ['reason'], registers }),
      instances: new Gauge({ name: 'konsumerator_instances', help: 'Instances per Consumer, by state.', labelNames: ['consumer', 'state'], registers }),
    };
    const o = deps.options;
    this.sources = o.guestMode
      ? deps.cache.informer<ConfigMapObject>({ ...CONFIGMAPS, namespace: o.namespace }, {}, { name: 'guest-configmaps' })
      : deps.cache.informer<ConsumerObject>(CONSUMERS, {}, { name: 'consumers' });
    this.deployments = deps.cache.informer<Deployment>(
      o.guestMode ? { ...DEPLOYMENTS, namespace: o.namespace } : DEPLOYMENTS,
      { labelSelector: CONSUMER_UID_LABEL },
      { name: 'managed-deployments' },
    );
    this.deployments.addIndexer(BY_UID, (d) => d.metadata?.labels?.[CONSUMER_UID_LABEL]);
    this.controller = new Controller<string>({ name: KONSUMERATOR, reconciler: this, workers: o.workers, logger: deps.logger, metrics: deps.metrics, isLeader: deps.isLeader });
    // Not on the operator's own status writes (every sync would reconcile twice): spec, annotations
    // (disable-autoscaler, guest mode's managed), data (guest mode's spec), finalizers and deletion.
    this.controller.watches(
      this.sources,
      keyOf,
      anyOf(
        generationChanged(),
        annotationsChanged(),
        onUpdateOnly((o, old) => !sameJson((o as ConfigMapObject).data, (old as ConfigMapObject).data)),
        onUpdateOnly((o, old) => !sameJson(o.metadata?.finalizers, old.metadata?.finalizers) || !!o.metadata?.deletionTimestamp !== !!old.metadata?.deletionTimestamp),
      ),
    );
    // A managed Deployment changed (hand edit, rollout progress, deletion): its Consumer, by owner or by uid.
    this.controller.watches(this.deployments, (d) => this.ownerKeys(d));
    this.recorder = new EventRecorder({ sink: deps.events, component: KONSUMERATOR, instance: deps.identity, logger: deps.logger });
    this.worker = new LeaderWorker({ name: KONSUMERATOR, controller: this.controller, resyncIntervalMs: deps.resyncIntervalMs ?? 300_000, resync: () => this.enqueueAll() });
  }

  runnable(): Runnable {
    return { name: KONSUMERATOR, needLeaderElection: true, start: () => this.start(), stop: () => this.worker.stop() };
  }

  start(): void {
    this.worker.start();
    this.enqueueAll();
  }

  stop(): Promise<void> {
    return this.worker.stop();
  }

  notReadyReason(): string | undefined {
    const pending = [this.sources, this.deployments].filter((i) => !i.hasSynced()).map((i) => i.name);
    return pending.length ? `waiting for first sync of ${pending.join(', ')}` : undefined;
  }

  private enqueueAll(): void {
    for (const o of this.sources.list()) this.controller.queue.add(keyOf(o));
  }

  private ownerKeys(d: Deployment): string[] {
    const uid = d.metadata?.labels?.[CONSUMER_UID_LABEL];
    const owner = this.sources.list().find((o) => o.metadata?.uid === uid);
    return owner ? [keyOf(owner)] : [];
  }

  async reconcile(key: string): Promise<Result | void> {
    if (this.notReadyReason()) return { requeueAfterMs: 1000 };
    const i = key.indexOf('/');
    const obj = this.sources.get(key.slice(0, i), key.slice(i + 1));
    if (!obj) return;
    if (this.deps.options.guestMode && !isManagedConfigMap(obj as ConfigMapObject)) {
      // No longer a Consumer (annotation removed): its Deployments go (the ConfigMap, their owner, stays).
      for (const d of this.deployments.byIndex(BY_UID, obj.metadata!.uid!)) await this.deleteDeployment(d, 'the ConfigMap is no longer managed');
      return;
    }
    const view = this.deps.options.guestMode ? viewOfConfigMap(obj as ConfigMapObject) : viewOfConsumer(obj as ConsumerObject);
    if (view.deleting) return this.finalize(view);
    if (!view.spec) {
      await this.recorder.record(this.involved(view), 'Warning', 'InvalidSpec', `${view.specError}; Deployments left as they are`, `spec/${view.uid}/${view.generation}/${view.specError}`);
      await this.writeStatus(view, {}, [{ type: ConsumerConditions.SpecValid, status: 'False', reason: 'InvalidSpec', message: view.specError! }]);
      return;
    }
    return this.converge(view, view.spec);
  }

  private async converge(view: ConsumerView, spec: ConsumerSpec): Promise<Result | void> {
    const now = this.clock.now();
    const namespace = deploymentNamespace(view);
    if (namespace !== view.namespace && view.kind === 'Consumer' && !view.finalizers.includes(DEPLOYMENTS_FINALIZER)) {
      // Owner references cannot cross namespaces: a finalizer deletes them instead.
      await this.deps.client.patch(
        { ...CONSUMERS, namespace: view.namespace },
        view.name,
        { metadata: { finalizers: [...view.finalizers, DEPLOYMENTS_FINALIZER], resourceVersion: view.object.metadata?.resourceVersion } },
        'merge',
      );
      return;
    }
    const buckets = splitIntoBuckets(spec.numPartitions, spec.numPartitionsPerInstance);
    const hash = templateHash(spec.deploymentTemplate);
    const existing = this.deployments.byIndex(BY_UID, view.uid).filter((d) => !d.metadata?.deletionTimestamp);
    const byInstance = new Map<number, Deployment>();
    const redundant: Deployment[] = [];
    for (const d of existing) {
      const id = Number(d.metadata?.annotations?.[Annotations.consumerId]);
      let parts: number[] | undefined;
      try {
        parts = parsePartitions(d.metadata?.annotations?.[Annotations.partition] ?? '');
      } catch {
        parts = undefined;
      }
      const ok = Number.isInteger(id) && id >= 0 && id < buckets.length && parts !== undefined && sameJson(parts, buckets[id]) && d.metadata?.namespace === namespace && d.metadata?.name === instanceName(spec, id) && !byInstance.has(id);
      if (ok) byInstance.set(id, d);
      else redundant.push(d);
    }
    // A Deployment whose name is still an instance's (its partitions changed) is rewritten in place, not deleted and made again.
    const names = new Set(buckets.map((_, id) => instanceName(spec, id)));
    const rewritten = redundant.filter((d) => d.metadata?.namespace === namespace && names.has(d.metadata?.name ?? '') && !existing.some((x) => x !== d && x.metadata?.name === d.metadata?.name && byInstance.has(Number(x.metadata?.annotations?.[Annotations.consumerId]))));
    for (const d of rewritten) redundant.splice(redundant.indexOf(d), 1);

    const prom = spec.autoscaler?.mode === 'prometheus' ? spec.autoscaler.prometheus : undefined;
    const disabled = view.annotations[Annotations.disableAutoscaler] !== undefined;
    const autoscaling = prom !== undefined && !disabled;
    const metrics = autoscaling ? await this.metricsOf(view, spec) : undefined;
    const lastProd = this.lastProduction.get(view.uid) ?? new Map<number, number>();
    this.lastProduction.set(view.uid, lastProd);
    if (metrics?.ok) for (const [p, r] of metrics.partitions) if ((r.production ?? 0) > 0) lastProd.set(p, r.production!);
    const metricsOf = (p: number): PartitionMetrics | undefined => {
      if (!metrics?.ok) return undefined;
      const r = metrics.partitions.get(p);
      return r ? { ...r, lastKnownProduction: lastProd.get(p) } : undefined;
    };
    const tolerable = prom ? parseDuration(prom.tolerableLag) / 1000 : Infinity;
    const critical = prom?.criticalLag ? parseDuration(prom.criticalLag) / 1000 : undefined;
    const containers = (spec.deploymentTemplate.template as { spec?: { containers?: Container[] } }).spec?.containers ?? [];
    const sized = sizedContainers(spec, containers);

    const count: InstanceCount = { running: 0, paused: 0, lagging: 0, missing: 0, outdated: 0, redundant: redundant.length };
    const lastSyncState: NonNullable<ConsumerStatus['lastSyncState']> = {};
    let recheck: number | undefined;
    // Rolling: updated from an older template and not available yet, whichever template it is rolling to.
    const inProgress = [...byInstance.values()].filter((d) => d.metadata?.annotations?.[PREVIOUS_GENERATION_ANNOTATION] !== undefined && !isAvailable(d)).length;
    let updatesLeft = Math.max(0, spec.maxConcurrentUpdates - inProgress);
    const writes: Array<() => Promise<void>> = [];

    for (let id = 0; id < buckets.length; id++) {
      const cur = byInstance.get(id);
      const partitions = buckets[id];
      const perPartition = partitions.map(metricsOf);
      const lag = maxLagSeconds(perPartition);
      if (lag > tolerable) count.lagging++;
      const worst = partitions.reduce<{ p: number; lag: number } | undefined>((w, p, k) => {
        const l = maxLagSeconds([perPartition[k]]);
        return !w || l > w.lag ? { p, lag: l } : w;
      }, undefined);
      if (metrics?.ok && worst) {
        const r = metrics.partitions.get(worst.p);
        lastSyncState[instanceName(spec, id)] = { productionRate: Math.round(r?.production ?? 0), consumptionRate: Math.round(r?.consumption ?? 0), messageBehind: Math.round(r?.behind ?? 0) };
      }
      const paused = cur?.metadata?.annotations?.[Annotations.disableAutoscaler] !== undefined || cur?.spec?.paused === true || cur?.spec?.replicas === 0;
      if (cur && paused) count.paused++;
      else if (cur) count.running++;
      else count.missing++;

      const current = new Map<string, Container['resources']>();
      for (const c of cur?.spec?.template?.spec?.containers ?? []) if (sized.has(c.name)) current.set(c.name, c.resources ?? {});
      const target = new Map<string, ResourceEstimate>();
      let known = true;
      if (!autoscaling) {
        for (const name of sized) {
          const min = policyOf(spec, name)?.minAllowed;
          const tpl = containers.find((c) => c.name === name)?.resources;
          target.set(name, min ? { requests: { cpuMillis: min.cpuMillis ?? 0, memoryBytes: min.memoryBytes ?? 0 }, limits: { cpuMillis: min.cpuMillis ?? 0, memoryBytes: min.memoryBytes ?? 0 } } : amountsOf(tpl));
        }
      } else if (!metrics?.ok) {
        known = false;
      } else {
        const est = naiveEstimate({
          partitions: perPartition,
          ratePerCore: prom!.ratePerCore,
          ramPerCore: quantityValue(prom!.ramPerCore) ?? 0,
          recoveryTimeSeconds: parseDuration(prom!.recoveryTime) / 1000,
          cpuIncrementMillis: Math.max(1, Math.round((quantityValue(prom!.cpuIncrement) ?? 0.1) * 1000)),
        });
        if (est.partitionsWithoutMetrics === partitions.length) known = false;
        const isCritical = isLagCritical(lag, critical);
        // criticalLag: each resource with a maxAllowed gets it; without a policy, the estimate (the original panicked).
        for (const name of sized) target.set(name, clampToPolicy(est, policyOf(spec, name), { critical: isCritical }));
      }

      let apply: boolean;
      let status = cur?.metadata?.annotations?.[Annotations.scalingStatus] ?? ScalingStatus.running;
      let since = Date.parse(cur?.metadata?.annotations?.[Annotations.scalingStatusChange] ?? '') || now;
      if (!cur) {
        apply = known;
        status = ScalingStatus.running;
        since = now;
      } else if (paused || !known) {
        apply = false;
      } else if (autoscaling && [...sized].some((n) => isUnsized(current.get(n)))) {
        // Made before the first metrics: sized at once, not after a pending period.
        apply = true;
        status = ScalingStatus.running;
        since = now;
      } else if (!autoscaling) {
        apply = true;
        status = ScalingStatus.running;
      } else {
        const d = decideScaling({
          direction: direction([...target.values()], [...sized].map((n) => amountsOf(current.get(n)))),
          lagSeconds: lag,
          tolerableLagSeconds: tolerable,
          critical: isLagCritical(lag, critical),
          status,
          since,
          now,
          pendingScaleUpMs: parseDuration(spec.autoscaler!.pendingScaleUpDuration),
          pendingScaleDownMs: parseDuration(spec.autoscaler!.pendingScaleDownDuration),
        });
        apply = d.apply;
        status = d.status;
        since = d.since;
        if (d.recheckInMs !== undefined) recheck = Math.min(recheck ?? Infinity, d.recheckInMs);
      }
      const resources = new Map<string, Container['resources']>();
      for (const name of sized) {
        const t = target.get(name);
        if (apply && t) resources.set(name, resourcesOf(t));
        else if (current.has(name)) resources.set(name, current.get(name));
      }
      const outdated = cur !== undefined && cur.metadata?.annotations?.[Annotations.generation] !== hash;
      const desired = desiredDeployment({
        view,
        instance: id,
        partitions,
        numInstances: buckets.length,
        hash: outdated ? cur!.metadata!.annotations![Annotations.generation]! : hash,
        resources,
        scalingStatus: status,
        scalingStatusChange: rfc3339(new Date(since)),
      });
      if (outdated) {
        if (updatesLeft <= 0) {
          count.outdated++;
          continue;
        }
        updatesLeft--;
        const next = desiredDeployment({ view, instance: id, partitions, numInstances: buckets.length, hash, resources, scalingStatus: status, scalingStatusChange: desired.metadata!.annotations![Annotations.scalingStatusChange] });
        next.metadata!.annotations![PREVIOUS_GENERATION_ANNOTATION] = cur!.metadata!.annotations![Annotations.generation] ?? '';
        writes.push(() => this.applyDeployment(next, 'updated'));
        continue;
      }
      if (cur?.metadata?.annotations?.[PREVIOUS_GENERATION_ANNOTATION] !== undefined) desired.metadata!.annotations![PREVIOUS_GENERATION_ANNOTATION] = cur.metadata.annotations[PREVIOUS_GENERATION_ANNOTATION];
      if (!cur) writes.push(() => this.applyDeployment(desired, 'created'));
      else if (ownedProjection(cur) !== ownedProjection(desired)) writes.push(() => this.applyDeployment(desired, apply ? 'scaled' : 'updated'));
    }
    // A few writes at a time: 1,000 instances must not flood the API server.
    for (let k = 0; k < writes.length; k += 8) await Promise.all(writes.slice(k, k + 8).map((w) => w()));
    for (const d of redundant) await this.deleteDeployment(d, 'not one of the Consumer\'s instances');

    for (const [state, n] of Object.entries({ ...count, expected: buckets.length })) this.m.instances.set({ consumer: `${view.namespace}/${view.name}`, state }, n);
    const conditions: Array<Omit<Condition, 'lastTransitionTime'>> = [{ type: ConsumerConditions.SpecValid, status: 'True', reason: 'Valid', message: 'the spec is valid' }];
    if (autoscaling) {
      if (metrics?.ok) {
        const problems = metrics.problems.length ? `; ${metrics.problems.slice(0, 5).join('; ')}${metrics.problems.length > 5 ? '; ...' : ''}` : '';
        conditions.push({ type: ConsumerConditions.MetricsAvailable, status: 'True', reason: metrics.problems.length ? 'PartialMetrics' : 'Fetched', message: `${metrics.address} answered${problems}` });
      } else if (metrics) {
        conditions.push({ type: ConsumerConditions.MetricsAvailable, status: 'False', reason: metrics.reason, message: `${metrics.message}; current resources held` });
      }
    }
    const ready = count.missing === 0 && count.outdated === 0 && count.redundant === 0;
    conditions.push({ type: ConsumerConditions.Ready, status: ready ? 'True' : 'False', reason: ready ? 'InstancesUpToDate' : 'Converging', message: `${buckets.length} expected, ${count.missing} missing, ${count.outdated} outdated, ${count.redundant} redundant` });
    const memo = this.memo.get(keyOf(view.object));
    // The most lagging instances only: per-instance state of 100,000 instances would outgrow etcd's request limit.
    const syncState = Object.fromEntries(Object.entries(lastSyncState).sort(([, a], [, b]) => b.messageBehind - a.messageBehind).slice(0, MAX_SYNC_STATE_ENTRIES));
    await this.writeStatus(
      view,
      {
        expected: buckets.length,
        running: count.running,
        paused: count.paused,
        lagging: count.lagging,
        missing: count.missing,
        outdated: count.outdated,
        redundant: count.redundant,
        ...(memo?.result.ok ? { lastSyncTime: rfc3339(new Date(memo.at)), lastSyncState: syncState } : {}),
      },
      conditions,
    );
    const waits = [
      autoscaling ? parseDuration(prom!.minSyncPeriod) : undefined,
      recheck,
      count.outdated > 0 || inProgress > 0 ? 5000 : undefined,
    ].filter((x): x is number => x !== undefined);
    return waits.length ? { requeueAfterMs: Math.max(1000, Math.min(...waits)) } : undefined;
  }

  /** Prometheus at most once per minSyncPeriod per Consumer (and again at once when the queries change). */
  private async metricsOf(view: ConsumerView, spec: ConsumerSpec): Promise<PromFetchResult> {
    const prom = spec.autoscaler!.prometheus!;
    const key = keyOf(view.object);
    const queries: PromQueries = { offset: prom.offset, production: prom.production, ...(prom.consumption ? { consumption: prom.consumption } : {}) };
    const queriesKey = JSON.stringify([prom.address, queries]);
    const memo = this.memo.get(key);
    const now = this.clock.now();
    if (memo && memo.queriesKey === queriesKey && now - memo.at < parseDuration(prom.minSyncPeriod)) return memo.result;
    const source = this.deps.metricsSource ?? ((a, q, t) => this.provider(a, t).fetch(q));
    const result = await source(prom.address, queries, this.deps.options.prometheusTimeoutMs);
    if (!result.ok) {
      this.m.metricsErrors.inc({ reason: result.reason });
      this.log.warn({ consumer: key, reason: result.reason, err: result.message }, 'metrics unavailable; resources held');
    }
    // A failure is remembered too: the next try waits minSyncPeriod (Prometheus must not be hammered).
    this.memo.set(key, { at: now, result, queriesKey });
    return result;
  }

  private provider(addresses: readonly string[], timeoutMs: number): PrometheusProvider {
    const k = JSON.stringify(addresses);
    let p = this.providers.get(k);
    if (!p) {
      p = new PrometheusProvider({ addresses, timeoutMs });
      this.providers.set(k, p);
    }
    return p;
  }

  private async applyDeployment(d: Deployment, action: string): Promise<void> {
    await this.deps.client.apply({ ...DEPLOYMENTS, namespace: d.metadata!.namespace }, d as never, { force: true });
    this.m.writes.inc({ action });
  }

  private async deleteDeployment(d: Deployment, why: string): Promise<void> {
    try {
      // false: already gone (the cache had not caught up with an earlier delete): nothing written.
      if (!(await this.deps.client.delete({ ...DEPLOYMENTS, namespace: d.metadata!.namespace }, d.metadata!.name!, { preconditions: { uid: d.metadata!.uid }, propagationPolicy: 'Background' }))) return;
      this.m.writes.inc({ action: 'deleted' });
      this.log.info({ deployment: `${d.metadata!.namespace}/${d.metadata!.name}`, why }, 'Deployment deleted');
    } catch (err) {
      if (err instanceof NotLeaderError || (err as { statusCode?: number }).statusCode !== 409) throw err;
    }
  }

  /** A Consumer being deleted whose Deployments live elsewhere: delete them, then release it. */
  private async finalize(view: ConsumerView): Promise<void> {
    if (!view.finalizers.includes(DEPLOYMENTS_FINALIZER)) return;
    for (const d of this.deployments.byIndex(BY_UID, view.uid)) await this.deleteDeployment(d, 'its Consumer is deleted');
    await this.deps.client.patch(
      { ...CONSUMERS, namespace: view.namespace },
      view.name,
      { metadata: { finalizers: view.finalizers.filter((f) => f !== DEPLOYMENTS_FINALIZER), resourceVersion: view.object.metadata?.resourceVersion } },
      'merge',
    );
    this.memo.delete(keyOf(view.object));
    this.lastProduction.delete(view.uid);
  }

  private involved(view: ConsumerView) {
    return { ...view.object, apiVersion: view.apiVersion, kind: view.kind };
  }

  private async writeStatus(view: ConsumerView, s: Partial<ConsumerStatus>, conds: Array<Omit<Condition, 'lastTransitionTime'>>): Promise<void> {
    if (view.kind === 'ConfigMap') return this.writeGuestStatus(view, s);
    const prev = view.status ?? {};
    const before = new Map((prev.conditions ?? []).map((c) => [c.type, c]));
    const now = rfc3339(new Date(this.clock.now()));
    const conditions = conds.map((c) => {
      const p = before.get(c.type);
      return { ...c, ...(view.generation !== undefined ? { observedGeneration: view.generation } : {}), lastTransitionTime: p && p.status === c.status ? p.lastTransitionTime : now } as Condition;
    });
    const status: ConsumerStatus = { ...prev, ...s, ...(view.generation !== undefined ? { observedGeneration: view.generation } : {}), conditions };
    if (sameJson(status, prev)) return;
    // Only the sync time and rates moved: written once a minute, not on every Prometheus sync.
    const withoutSync = (x: ConsumerStatus) => ({ ...x, lastSyncTime: undefined, lastSyncState: undefined });
    const lastWritten = Date.parse(prev.lastSyncTime ?? '');
    if (sameJson(withoutSync(status), withoutSync(prev)) && this.clock.now() - lastWritten < SYNC_STATUS_INTERVAL_MS) return;
    await this.deps.client.patchStatus({ ...CONSUMERS, namespace: view.namespace }, view.name, { status }, 'merge');
  }

  /** Guest mode's status: the original's `status.*` annotations on the ConfigMap. */
  private async writeGuestStatus(view: ConsumerView, s: Partial<ConsumerStatus>): Promise<void> {
    const a = `konsumerator.lwolf.org/status.`;
    const want: Record<string, string> = {};
    for (const k of ['expected', 'running', 'paused', 'missing', 'lagging', 'outdated'] as const) if (s[k] !== undefined) want[`${a}${k}`] = String(s[k]);
    if (s.lastSyncTime) want[`${a}last-sync-time`] = s.lastSyncTime;
    if (s.lastSyncState) want[`${a}last-sync-state`] = JSON.stringify(s.lastSyncState);
    const changed = Object.entries(want).filter(([k, v]) => view.annotations[k] !== v).map(([k]) => k);
    if (!changed.length) return;
    const onlySync = changed.every((k) => k.startsWith(`${a}last-sync-`));
    if (onlySync && this.clock.now() - Date.parse(view.annotations[`${a}last-sync-time`] ?? '') < SYNC_STATUS_INTERVAL_MS) return;
    await this.deps.client.patch({ ...CONFIGMAPS, namespace: view.namespace }, view.name, { metadata: { annotations: want } }, 'merge');
  }
}

/**
 * >0 when the targets ask for more than the current resources, <0 for less, 0 when every amount
 * is the same: CPU request, CPU limit, memory limit, memory request, in that order of weight.
 */
function direction(targets: readonly ResourceEstimate[], current: readonly ResourceEstimate[]): number {
  const sum = (xs: readonly ResourceEstimate[], f: (e: ResourceEstimate) => number) => xs.reduce((s, e) => s + f(e), 0);
  const amounts: Array<(e: ResourceEstimate) => number> = [(e) => e.requests.cpuMillis, (e) => e.limits.cpuMillis, (e) => e.limits.memoryBytes, (e) => e.requests.memoryBytes];
  for (const f of amounts) {
    const d = sum(targets, f) - sum(current, f);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

function isUnsized(r: Container['resources'] | undefined): boolean {
  return !r || (Object.keys(r.requests ?? {}).length === 0 && Object.keys(r.limits ?? {}).length === 0);
}

/** Rolled out: the controller saw the spec, every replica is updated and available. */
function isAvailable(d: Deployment): boolean {
  const want = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  return (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) && (s.updatedReplicas ?? 0) >= want && (s.availableReplicas ?? 0) >= want;
}
