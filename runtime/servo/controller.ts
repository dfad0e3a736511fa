/**
 * The job measurement daemon (`platform-controllers servo`): level-triggered over the job pods of
 * the watched namespaces. Each reconcile assesses the pod from the cache (lib/api/servo
 * `assessJob`) and moves it one step: a running job waits; an ended one waits for its monitor's
 * figures (at most `--stats-timeout`); then its MEASUREMENT is delivered until the optimizer
 * accepts it (retries with backoff, `Retry-After`), and the outcome is written on the pod (the
 * `servo.platform-constructs.io/measured` annotation) in the same patch that releases the
 * finalizer the webhook added. A pod carrying the annotation is never reported again, so a
 * restart, a new leader or a relist after a watch expiry neither loses nor repeats a measurement.
 *
 * Fixes over the original: one watch per namespace with a server-side field selector (the
 * original watched every pod of the cluster); a watch expiry (410) is a relist in the kit's
 * informer, not the end of the process; a pod missing fields is assessed, never a crash; a zero
 * duration omits perf instead of dividing by zero; every status but a definite 4xx is retried.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { Counter, Gauge, Histogram } from 'prom-client';
import {
  MEASURED_ANNOTATION,
  MEASUREMENT_FINALIZER,
  SERVO,
  assessJob,
  goodbyeEvent,
  hasFinalizer,
  helloEvent,
  measurementEvent,
  optimizerUrl,
  GLOBAL_APP_ID,
  podRef,
  type JobAssessment,
  type JobPodObject,
  type OptimizerEvent,
  type ServoOptions,
} from '../../lib/api/servo/index.js';
import {
  Controller,
  EventRecorder,
  TtlCache,
  backoffDelay,
  sleep,
  LeaderWorker,
  keyOf,
  rfc3339,
  silentLogger,
  statusCodeOf,
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
import { Deliveries, type Outcome, type Sender } from './deliveries.js';
import type { SendResult } from './optimizer.js';
import { trimPod } from './trim.js';

/** A pod as the informer holds it (JSON: timestamps are strings, read through JobPodObject). */
export type PodObject = V1Pod;
const view = (pod: PodObject): JobPodObject => pod as unknown as JobPodObject;

/** Server-side filter of the pod watches: pods with `restartPolicy: Always` are never jobs. */
export const JOB_POD_FIELD_SELECTOR = 'spec.restartPolicy!=Always';

const PODS = { apiVersion: 'v1', resource: 'pods' } as const;

export interface ServoDeps {
  readonly options: ServoOptions;
  readonly cache: InformerCache;
  readonly client: Pick<KubeClient, 'patch'>;
  readonly events: EventSink;
  readonly identity: string;
  readonly metrics: KitMetrics;
  readonly isLeader: () => boolean;
  /** One POST to the optimizer. */
  readonly send: Sender;
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** Resync of every pod (a repair for missed events). @default 5 min */
  readonly resyncIntervalMs?: number;
  /** Delay before the first retry. @default 1000 */
  readonly initialBackoffMs?: number;
}

export class ServoController {
  readonly controller: Controller<string>;
  readonly informers: readonly SharedInformer<PodObject>[];
  readonly deliveries: Deliveries;
  private readonly worker: LeaderWorker;
  private readonly recorder: EventRecorder;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly byNamespace = new Map<string, SharedInformer<PodObject>>();
  /**
   * Uids whose outcome this process wrote on the pod, until the cache shows it: a reconcile that
   * runs before the watch delivers the patched pod (resync, a requeue) must not send again.
   */
  private readonly recorded: TtlCache<true>;
  /** Aborts the HELLO attempts of the current leadership. */
  private hello?: AbortController;
  /** The uid behind each key with a delivery: a pod deleted meanwhile still has its outcome counted and dropped. */
  private readonly uidOfKey = new Map<string, string>();
  private readonly m: {
    sent: Counter;
    failed: Counter<'reason'>;
    attempts: Counter<'result'>;
    pending: Gauge;
    delay: Histogram;
  };

  constructor(private readonly deps: ServoDeps) {
    this.log = (deps.logger ?? silentLogger()).child({ controller: SERVO });
    this.clock = deps.clock ?? systemClock;
    this.recorded = new TtlCache<true>({ ttlMs: 600_000, maxEntries: 100_000, clock: this.clock });
    const registers = [deps.metrics.registry];
    this.m = {
      sent: new Counter({ name: 'servo_measurements_sent_total', help: 'Measurements accepted by the optimizer (2xx).', registers }),
      failed: new Counter({ name: 'servo_measurements_failed_total', help: 'Measurements refused for good by the optimizer (4xx other than 408/429), by reason.', labelNames: ['reason'], registers }),
      attempts: new Counter({ name: 'servo_post_attempts_total', help: 'POSTs of measurements, by result (accepted, retry, rejected).', labelNames: ['result'], registers }),
      pending: new Gauge({ name: 'servo_measurements_pending', help: 'Measurements being delivered (not yet accepted or refused).', registers, collect: () => this.m.pending.set(this.deliveries.pending) }),
      delay: new Histogram({
        name: 'servo_measurement_delay_seconds',
        help: 'From the end of the job container to the optimizer accepting its measurement.',
        buckets: [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900],
        registers,
      }),
    };
    this.informers = deps.options.namespaces.map((ns) => {
      const inf = deps.cache.informer<PodObject>(
        { ...PODS, namespace: ns },
        { fieldSelector: JOB_POD_FIELD_SELECTOR },
        { name: `job-pods-${ns}`, transform: { name: 'servo-trim', fn: (p) => trimPod(p, deps.options.appIdPath) } },
      );
      this.byNamespace.set(ns, inf);
      return inf;
    });
    this.controller = new Controller<string>({ name: SERVO, reconciler: this, workers: deps.options.workers, logger: deps.logger, metrics: deps.metrics, isLeader: deps.isLeader });
    for (const inf of this.informers) this.controller.watches(inf, keyOf);
    this.recorder = new EventRecorder({ sink: deps.events, component: SERVO, instance: deps.identity, logger: deps.logger });
    this.deliveries = new Deliveries({
      send: deps.send,
      concurrency: deps.options.concurrency,
      maxBackoffMs: deps.options.maxBackoffMs,
      initialBackoffMs: deps.initialBackoffMs,
      clock: this.clock,
      onSettled: (key) => this.controller.queue.add(key),
      onAttempt: (id, r, attempt) => {
        this.m.attempts.inc({ result: r.kind });
        if (r.kind === 'retry') this.log.info({ pod: id, attempt, reason: r.reason, retryAfterMs: r.kind === 'retry' ? r.retryAfterMs : undefined }, 'measurement not delivered yet: retrying');
      },
    });
    this.worker = new LeaderWorker({ name: SERVO, controller: this.controller, resyncIntervalMs: deps.resyncIntervalMs ?? 300_000, resync: () => this.enqueueAll() });
  }

  runnable(): Runnable {
    return { name: SERVO, needLeaderElection: true, start: () => this.start(), stop: () => this.stop() };
  }

  start(): void {
    this.worker.start();
    this.enqueueAll();
    this.hello?.abort();
    const hello = (this.hello = new AbortController());
    void this.sayHello(hello.signal);
  }

  async stop(reason = 'shutdown'): Promise<void> {
    this.hello?.abort();
    await this.worker.stop();
    this.deliveries.stop();
    await this.global(goodbyeEvent(this.deps.options.account, reason), 'GOODBYE', AbortSignal.timeout(2000));
  }

  /**
   * HELLO when leadership starts, retried with backoff while the optimizer cannot be reached
   * (it may start after the servo), until accepted, refused (4xx) or leadership ends.
   */
  private async sayHello(signal: AbortSignal): Promise<void> {
    for (let attempt = 0; !signal.aborted; attempt++) {
      const r = await this.global(helloEvent(this.deps.options.account), 'HELLO', AbortSignal.any([signal, AbortSignal.timeout(this.deps.options.sendTimeoutMs)]));
      if (r.kind !== 'retry') return;
      const wait = Math.min(this.deps.options.maxBackoffMs, r.retryAfterMs ?? backoffDelay(attempt, { initialMs: this.deps.initialBackoffMs ?? 1000, maxMs: this.deps.options.maxBackoffMs, jitter: 0.2 }));
      await sleep(wait, signal, this.clock);
    }
  }

  notReadyReason(): string | undefined {
    const pending = this.informers.filter((i) => !i.hasSynced()).map((i) => i.name);
    return pending.length ? `waiting for first sync of ${pending.join(', ')}` : undefined;
  }

  private enqueueAll(): void {
    for (const inf of this.informers) for (const p of inf.list()) this.controller.queue.add(keyOf(p));
  }

  /** HELLO / GOODBYE: one attempt, best effort (they carry no measurement). */
  /** One HELLO or GOODBYE (app id `_global_`). */
  private async global(event: OptimizerEvent, what: string, signal: AbortSignal): Promise<SendResult> {
    const url = optimizerUrl(this.deps.options.url, this.deps.options.account, GLOBAL_APP_ID);
    const r: SendResult = await this.deps.send(url, event, signal, `${what}-${this.deps.identity}`).catch((err) => ({ kind: 'retry', reason: String(err) }) as const);
    if (r.kind === 'accepted') this.log.info({ event: what }, `${what} accepted`);
    else this.log.warn({ event: what, reason: r.reason }, `${what} not accepted`);
    return r;
  }

  async reconcile(key: string): Promise<Result | void> {
    if (this.notReadyReason()) return { requeueAfterMs: 1000 };
    const i = key.indexOf('/');
    const ns = key.slice(0, i);
    const pod = this.byNamespace.get(ns)?.get(ns, key.slice(i + 1));
    if (!pod) return this.gone(key);
    const uid = pod.metadata?.uid ?? key;
    const now = this.clock.now();
    const a: JobAssessment = assessJob(view(pod), { selection: { namespaces: this.deps.options.namespaces, appIdPath: this.deps.options.appIdPath }, statsTimeoutMs: this.deps.options.statsTimeoutMs }, now);
    switch (a.state) {
      case 'not-a-job':
      case 'settled':
        this.deliveries.forget(uid);
        this.uidOfKey.delete(key);
        if (hasFinalizer(view(pod))) await this.writeOutcome(pod, undefined);
        return;
      case 'running':
        return;
      case 'awaiting-monitor':
        return { requeueAfterMs: Math.max(100, a.deadlineMs - now) };
      case 'report': {
        if (this.recorded.get(uid)) return;
        const outcome = this.deliveries.outcome(uid);
        if (!outcome) {
          for (const note of a.notes) this.log.info({ pod: podRef(view(pod)), appId: a.appId }, note);
          this.uidOfKey.set(key, uid);
          this.deliveries.submit(uid, key, optimizerUrl(this.deps.options.url, this.deps.options.account, a.appId), measurementEvent(a.param));
          return;
        }
        if (outcome.state === 'pending') return;
        return this.settle(pod, uid, outcome, a.finishedAtMs);
      }
    }
  }

  private async settle(pod: PodObject, uid: string, outcome: Exclude<Outcome, { state: 'pending' }>, finishedAtMs: number | undefined): Promise<void> {
    if (outcome.state === 'rejected') {
      await this.recorder.record({ ...pod, apiVersion: 'v1', kind: 'Pod' } as never, 'Warning', 'MeasurementRejected', `the optimizer refused the measurement (${outcome.reason}); it is not retried`, `rejected/${uid}`);
    }
    const written = await this.writeOutcome(pod, { at: rfc3339(new Date(outcome.atMs)), status: outcome.status });
    if (!written) return;
    this.done(keyOf(pod), uid, outcome, finishedAtMs, podRef(view(pod)));
  }

  /** A pod no longer in the cache: a settled delivery of it is counted and dropped, a pending one goes on. */
  private gone(key: string): void {
    const uid = this.uidOfKey.get(key);
    const outcome = uid === undefined ? undefined : this.deliveries.outcome(uid);
    if (uid === undefined) return;
    if (!outcome) this.uidOfKey.delete(key);
    else if (outcome.state !== 'pending') this.done(key, uid, outcome, undefined, key);
  }

  private done(key: string, uid: string, outcome: Exclude<Outcome, { state: 'pending' }>, finishedAtMs: number | undefined, ref: string): void {
    this.recorded.set(uid, true);
    this.deliveries.forget(uid);
    this.uidOfKey.delete(key);
    if (outcome.state === 'accepted') {
      this.m.sent.inc();
      if (finishedAtMs !== undefined) this.m.delay.observe(Math.max(0, outcome.atMs - finishedAtMs) / 1000);
      this.log.info({ pod: ref, status: outcome.status, attempts: outcome.attempts }, 'measurement accepted');
    } else {
      this.m.failed.inc({ reason: `http_${outcome.status}` });
      this.log.warn({ pod: ref, status: outcome.status, reason: outcome.reason }, 'measurement refused');
    }
  }

  /**
   * One merge patch: the outcome annotation (when given) and the finalizer list without ours,
   * conditional on the pod's resourceVersion (a conflict is retried from the cache). Returns
   * whether the pod now records it (or is gone).
   */
  private async writeOutcome(pod: PodObject, record: { at: string; status: number } | undefined): Promise<boolean> {
    const meta = pod.metadata ?? {};
    const finalizers = (meta.finalizers ?? []).filter((f) => f !== MEASUREMENT_FINALIZER);
    const patch = {
      metadata: {
        resourceVersion: meta.resourceVersion,
        finalizers: finalizers.length ? finalizers : null,
        ...(record ? { annotations: { [MEASURED_ANNOTATION]: JSON.stringify(record) } } : {}),
      },
    };
    try {
      await this.deps.client.patch({ ...PODS, namespace: meta.namespace }, meta.name!, patch, 'merge');
      return true;
    } catch (err) {
      const code = statusCodeOf(err);
      if (code === 404) return true;
      // 409: the pod changed since the cache saw it; its update event reconciles it again.
      if (code === 409) return false;
      throw err;
    }
  }
}
