/**
 * The NodeConfigTemplate controller: for each template, the NodeConfig `<template>-<node>` of
 * every node its selector matches, rendered from the template and owned by it; NodeConfigs of
 * nodes that are gone or no longer match are deleted (the original left them behind). Nodes,
 * templates and owned NodeConfigs all trigger it, so a label change, a new node, a hand edit or a
 * deleted NodeConfig is converged.
 *
 * Every template matching a node is reconciled (the original reconciled only the first): the
 * overlap is reported by an Event and a Conflict condition on each of the templates involved.
 * A NodeConfig of the same name that the template does not own is never overwritten.
 */
import { Counter } from 'prom-client';
import {
  NodeConfigTemplateConditions as Conditions,
  WAO,
  WAO_API_VERSION,
  checkLabelSelector,
  checkNodeConfigSpec,
  describeRenderFailures,
  matchesLabelSelector,
  nodeConfigName,
  renderNodeConfig,
  templateDataOf,
  templateOf,
  type NodeConfigTemplateStatus,
} from '../../lib/api/wao/index.js';
import type { Condition } from '../../lib/api/crd/index.js';
import { ValidationError } from '../../lib/k8s/validation.js';
import {
  Controller,
  EventRecorder,
  LeaderWorker,
  NotLeaderError,
  anyOf,
  generationChanged,
  keyOf,
  labelsChanged,
  onUpdateOnly,
  silentLogger,
  type EventSink,
  type KitMetrics,
  type KubeClient,
  type Logger,
  type Result,
  type Runnable,
} from '../kit/index.js';
import { BY_OWNER, byAge, splitKey, type WaoInformers } from './informers.js';
import { sameJson } from '../kit/index.js';
import { rfc3339 } from './readings.js';
import { NODECONFIGS, NODECONFIGTEMPLATES, withKind, type Node, type NodeConfig, type NodeConfigTemplate } from './resources.js';

/** Label on every NodeConfig a template made: the template's name (`kubectl get nodeconfig -l`). */
export const TEMPLATE_LABEL = 'wao.bitmedia.co.jp/template';

export interface TemplateControllerDeps {
  readonly informers: WaoInformers;
  readonly client: Pick<KubeClient, 'apply' | 'delete' | 'patchStatus'>;
  readonly events: EventSink;
  readonly identity: string;
  readonly metrics: KitMetrics;
  readonly isLeader: () => boolean;
  readonly workers: number;
  readonly logger?: Logger;
  /** Resync of every template. @default 10 min */
  readonly resyncIntervalMs?: number;
}

/** The most nodes a condition's message names. */
const NAMED = 5;

export class TemplateController {
  readonly controller: Controller<string>;
  private readonly worker: LeaderWorker;
  private readonly recorder: EventRecorder;
  private readonly log: Logger;
  private readonly m: { writes: Counter<'action'> };

  constructor(private readonly deps: TemplateControllerDeps) {
    this.log = (deps.logger ?? silentLogger()).child({ controller: 'wao-template' });
    this.m = {
      writes: new Counter({
        name: 'wao_template_nodeconfig_writes_total',
        help: 'NodeConfigs written by the template controller, by action (created, updated, deleted).',
        labelNames: ['action'],
        registers: [deps.metrics.registry],
      }),
    };
    this.recorder = new EventRecorder({ sink: deps.events, component: WAO, instance: deps.identity, logger: deps.logger });
    this.controller = new Controller<string>({ name: 'wao-template', reconciler: this, workers: deps.workers, logger: deps.logger, metrics: deps.metrics, isLeader: deps.isLeader });
    const inf = deps.informers;
    // A template itself, and every other one: a template that comes, goes or changes its selector
    // may start or end an overlap the others report (their Conflict condition and Event).
    // Spec changes only (not the controller's own status writes).
    for (const t of inf.templates.values()) {
      this.controller.watches(t, (o) => [keyOf(o), ...inf.allTemplates().map(keyOf).filter((k) => k !== keyOf(o))], generationChanged<NodeConfigTemplate>());
    }
    // NodeConfigs: back to the owning template (by name: a template deleted and made again still converges).
    // Not on status writes (every reading would reconcile the whole template): spec, labels, owners.
    for (const nc of inf.nodeConfigs.values()) {
      this.controller.watches(
        nc,
        (o) => ownerKeys(o),
        anyOf(generationChanged<NodeConfig>(), labelsChanged<NodeConfig>(), onUpdateOnly<NodeConfig>((o, old) => !sameJson(o.metadata?.ownerReferences, old.metadata?.ownerReferences))),
      );
    }
    // Nodes: every template, when a node comes, goes, or changes what selectors and templates read.
    this.controller.watches(
      inf.nodes,
      () => inf.allTemplates().map(keyOf),
      anyOf(labelsChanged<Node>(), onUpdateOnly<Node>((n, old) => JSON.stringify(n.status?.addresses) !== JSON.stringify(old.status?.addresses))),
    );
    this.worker = new LeaderWorker({
      name: 'wao-template',
      controller: this.controller,
      resyncIntervalMs: deps.resyncIntervalMs ?? 600_000,
      resync: () => this.enqueueAll(),
    });
  }

  runnable(): Runnable {
    return { name: 'wao-template', needLeaderElection: true, start: () => this.start(), stop: () => this.worker.stop() };
  }

  start(): void {
    this.worker.start();
    this.enqueueAll();
  }

  stop(): Promise<void> {
    return this.worker.stop();
  }

  private enqueueAll(): void {
    for (const t of this.deps.informers.allTemplates()) this.controller.queue.add(keyOf(t));
    // Templates deleted while no replica led: their NodeConfigs point at them.
    for (const nc of this.deps.informers.allNodeConfigs()) for (const k of ownerKeys(nc)) this.controller.queue.add(k);
  }

  async reconcile(key: string): Promise<Result | void> {
    // The manager starts leader runnables without waiting for the caches: try again shortly
    // (an empty NodeConfig list on a fresh install would otherwise enqueue nothing until the resync).
    if (this.deps.informers.notReadyReason()) return { requeueAfterMs: 1000 };
    const [namespace, name] = splitKey(key);
    const template = this.deps.informers.templates.get(namespace)?.get(namespace, name);
    const owned = this.deps.informers.nodeConfigs.get(namespace)?.byIndex(BY_OWNER, name) ?? [];
    if (!template || template.metadata?.deletionTimestamp) {
      // Gone: its NodeConfigs go too (the garbage collector would, but not where none runs, and not at once).
      for (const nc of owned) if (!this.ownerExists(nc)) await this.deleteNodeConfig(nc, 'template deleted');
      return;
    }
    const uid = template.metadata!.uid!;
    const about = withKind(template, 'NodeConfigTemplate');
    const conditions: Array<Omit<Condition, 'lastTransitionTime'>> = [];
    const generation = template.metadata?.generation;
    const cond = (type: string, status: 'True' | 'False', reason: string, message: string) =>
      conditions.push({ type, status, reason, message, ...(generation !== undefined ? { observedGeneration: generation } : {}) });

    try {
      checkLabelSelector(`${key}`, '/spec/nodeSelector', template.spec.nodeSelector);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      // Nothing good is lost: the NodeConfigs made with the last good selector stay.
      const message = `${err.field.replace(/^\//, '').replace(/\//g, '.')}: ${err.reason}; NodeConfigs left as they are`;
      await this.recorder.record(about, 'Warning', 'InvalidSelector', message, `selector/${uid}/${generation}`);
      cond(Conditions.Ready, 'False', 'InvalidSelector', message);
      await this.writeStatus(template, { conditions, nodeConfigs: owned.length });
      return;
    }

    const selected = this.deps.informers.nodes.list().filter((n) => matchesLabelSelector(template.spec.nodeSelector, n.metadata?.labels));
    selected.sort((a, b) => (a.metadata!.name! < b.metadata!.name! ? -1 : 1));
    const body = templateOf(template.spec);
    const wanted = new Set<string>();
    const renderFailed: string[] = [];
    const invalid: string[] = [];
    const taken: string[] = [];
    let written = 0;
    let created = 0;
    for (const node of selected) {
      const nodeName = node.metadata!.name!;
      const ncName = nodeConfigName(name, nodeName);
      wanted.add(ncName);
      const rendered = renderNodeConfig(body, nodeName, templateDataOf(node));
      if (rendered.failures.length) {
        renderFailed.push(nodeName);
        await this.recorder.record(about, 'Warning', 'RenderFailed', describeRenderFailures(nodeName, rendered.failures), `render/${uid}/${generation}/${nodeName}/${rendered.failures.map((f) => f.field).join(',')}`);
      }
      let spec;
      try {
        spec = checkNodeConfigSpec(rendered.spec, { source: `NodeConfig ${namespace}/${ncName}` });
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        invalid.push(nodeName);
        await this.recorder.record(about, 'Warning', 'InvalidNodeConfig', `node ${nodeName}: ${err.message}; NodeConfig ${ncName} not written`, `invalid/${uid}/${generation}/${nodeName}`);
        continue;
      }
      const existing = this.deps.informers.nodeConfig(namespace, ncName);
      if (existing && controllerUid(existing) !== uid) {
        if (this.ownerExists(existing) || !controllerUid(existing)) {
          taken.push(nodeName);
          await this.recorder.record(about, 'Warning', 'NameTaken', `NodeConfig ${namespace}/${ncName} for node ${nodeName} exists and is not owned by this template; left as it is`, `taken/${uid}/${ncName}/${existing.metadata?.uid}`);
          continue;
        }
        // Owned by a template of this name that no longer exists (deleted and made again): replace it.
        await this.deleteNodeConfig(existing, 'owner is gone');
      } else if (existing && sameJson(existing.spec, spec) && existing.metadata?.labels?.[TEMPLATE_LABEL] === name) {
        continue;
      }
      await this.deps.client.apply(
        { ...NODECONFIGS, namespace },
        {
          apiVersion: WAO_API_VERSION,
          kind: 'NodeConfig',
          metadata: {
            name: ncName,
            namespace,
            labels: { [TEMPLATE_LABEL]: name, 'app.kubernetes.io/managed-by': WAO },
            ownerReferences: [{ apiVersion: WAO_API_VERSION, kind: 'NodeConfigTemplate', name, uid, controller: true, blockOwnerDeletion: true }],
          },
          spec,
        },
        { force: true },
      );
      written++;
      const replaced = existing !== undefined && controllerUid(existing) !== uid;
      if (!existing || replaced) created++;
      this.m.writes.inc({ action: existing && !replaced ? 'updated' : 'created' });
    }
    let deleted = 0;
    for (const nc of owned) {
      // Also those of an earlier template of this name (deleted and made again while no replica led).
      if (!wanted.has(nc.metadata!.name!) && (controllerUid(nc) === uid || !this.ownerExists(nc))) {
        await this.deleteNodeConfig(nc, `node ${nc.spec?.nodeName} no longer selected`);
        deleted++;
      }
    }

    const conflicts = this.conflicts(template, selected);
    for (const c of conflicts) {
      await this.recorder.record(about, 'Warning', 'Conflict', `node ${c.node} is also selected by NodeConfigTemplate ${c.other}: both make a NodeConfig for it; /predict uses the oldest NodeConfig`, `conflict/${uid}/${c.node}/${c.other}`);
    }
    if (conflicts.length) cond(Conditions.Conflict, 'True', 'NodesSelectedTwice', `${conflicts.length} node(s) also selected by other templates: ${conflicts.slice(0, NAMED).map((c) => `${c.node} (${c.other})`).join(', ')}${conflicts.length > NAMED ? ', ...' : ''}`);
    else cond(Conditions.Conflict, 'False', 'NoOverlap', 'no selected node is selected by another template');
    if (renderFailed.length) cond(Conditions.RenderFailed, 'True', 'TemplateFieldsKept', `fields kept unrendered for ${renderFailed.length} node(s): ${named(renderFailed)} (see Events)`);
    else cond(Conditions.RenderFailed, 'False', 'Rendered', 'every field rendered');
    const problems = [
      ...(invalid.length ? [`${invalid.length} NodeConfig(s) invalid after rendering: ${named(invalid)}`] : []),
      ...(taken.length ? [`${taken.length} name(s) taken by NodeConfigs this template does not own: ${named(taken)}`] : []),
    ];
    if (problems.length) cond(Conditions.Ready, 'False', invalid.length ? 'InvalidNodeConfig' : 'NameTaken', problems.join('; '));
    else cond(Conditions.Ready, 'True', 'NodeConfigsApplied', `${selected.length} node(s) selected, each with its NodeConfig`);
    const ownedBefore = owned.filter((nc) => controllerUid(nc) === uid).length;
    const ownedNow = ownedBefore + created - owned.filter((nc) => controllerUid(nc) === uid && !wanted.has(nc.metadata!.name!)).length;
    await this.writeStatus(template, { conditions, selectedNodes: selected.length, nodeConfigs: Math.max(0, ownedNow) });
    if (written || deleted) this.log.info({ template: key, selected: selected.length, written, deleted }, 'template reconciled');
  }

  /** Selected nodes that another template (any watched namespace) selects too. */
  private conflicts(template: NodeConfigTemplate, selected: readonly Node[]): Array<{ node: string; other: string }> {
    const others = this.deps.informers.allTemplates().filter((t) => t.metadata?.uid !== template.metadata?.uid && !t.metadata?.deletionTimestamp);
    const out: Array<{ node: string; other: string }> = [];
    for (const node of selected) {
      for (const t of others.sort(byAge)) {
        let matches = false;
        try {
          matches = matchesLabelSelector(checkLabelSelector('', '', t.spec?.nodeSelector), node.metadata?.labels);
        } catch {
          matches = false;
        }
        if (matches) out.push({ node: node.metadata!.name!, other: keyOf(t) });
      }
    }
    return out;
  }

  private ownerExists(nc: NodeConfig): boolean {
    const ref = (nc.metadata?.ownerReferences ?? []).find((r) => r.controller);
    if (!ref) return false;
    const t = this.deps.informers.templates.get(nc.metadata!.namespace!)?.get(nc.metadata!.namespace, ref.name);
    return t?.metadata?.uid === ref.uid;
  }

  private async deleteNodeConfig(nc: NodeConfig, why: string): Promise<void> {
    const { namespace, name, uid } = nc.metadata!;
    try {
      await this.deps.client.delete({ ...NODECONFIGS, namespace }, name!, { preconditions: { uid } });
      this.m.writes.inc({ action: 'deleted' });
      this.log.info({ nodeconfig: `${namespace}/${name}`, why }, 'NodeConfig deleted');
    } catch (err) {
      if (err instanceof NotLeaderError) throw err;
      // 409: replaced by another object of the same name meanwhile; the next reconcile sees it.
      if ((err as { statusCode?: number }).statusCode !== 409) throw err;
    }
  }

  private async writeStatus(
    template: NodeConfigTemplate,
    s: { conditions: Array<Omit<Condition, 'lastTransitionTime'>>; selectedNodes?: number; nodeConfigs?: number },
  ): Promise<void> {
    const prev = (template.status ?? {}) as NodeConfigTemplateStatus;
    const before = new Map((prev.conditions ?? []).map((c) => [c.type, c]));
    const now = rfc3339(new Date());
    const conditions = s.conditions.map((c) => {
      const p = before.get(c.type);
      return { ...c, lastTransitionTime: p && p.status === c.status ? p.lastTransitionTime : now } as Condition;
    });
    const status: NodeConfigTemplateStatus = {
      ...(template.metadata?.generation !== undefined ? { observedGeneration: template.metadata.generation } : {}),
      conditions,
      ...(s.selectedNodes !== undefined ? { selectedNodes: s.selectedNodes } : prev.selectedNodes !== undefined ? { selectedNodes: prev.selectedNodes } : {}),
      ...(s.nodeConfigs !== undefined ? { nodeConfigs: s.nodeConfigs } : {}),
    };
    if (sameJson(status, prev)) return;
    const { namespace, name } = template.metadata!;
    await this.deps.client.patchStatus({ ...NODECONFIGTEMPLATES, namespace }, name!, { status }, 'merge');
  }
}

function ownerKeys(nc: NodeConfig): string[] {
  return (nc.metadata?.ownerReferences ?? []).filter((r) => r.controller && r.kind === 'NodeConfigTemplate').map((r) => `${nc.metadata?.namespace}/${r.name}`);
}

function controllerUid(nc: NodeConfig): string | undefined {
  return (nc.metadata?.ownerReferences ?? []).find((r) => r.controller)?.uid;
}

function named(nodes: readonly string[]): string {
  return `${nodes.slice(0, NAMED).join(', ')}${nodes.length > NAMED ? ', ...' : ''}`;
}
