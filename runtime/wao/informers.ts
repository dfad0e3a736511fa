/**
 * The informers WAO's controllers share: Nodes (cluster-wide), and NodeConfigs and
 * NodeConfigTemplates of each watched namespace (one informer per namespace: RBAC grants them
 * per namespace, and the original's single hard-coded `wao-system` is gone). NodeConfigs are
 * indexed by `spec.nodeName` for the prediction endpoint and by owner for the template controller.
 */
import type { InformerCache, ListerWatcher, SharedInformer } from '../kit/index.js';
import { NODECONFIGS, NODECONFIGTEMPLATES, NODES, type Node, type NodeConfig, type NodeConfigTemplate } from './resources.js';

export const BY_NODE = 'node';
export const BY_OWNER = 'owner';

/** Test seams: ListerWatchers instead of the API server. */
export interface WaoSources {
  readonly nodes?: ListerWatcher<Node>;
  readonly nodeConfigs?: (namespace: string) => ListerWatcher<NodeConfig>;
  readonly templates?: (namespace: string) => ListerWatcher<NodeConfigTemplate>;
}

export class WaoInformers {
  readonly nodes: SharedInformer<Node>;
  readonly nodeConfigs: ReadonlyMap<string, SharedInformer<NodeConfig>>;
  readonly templates: ReadonlyMap<string, SharedInformer<NodeConfigTemplate>>;

  constructor(cache: InformerCache, readonly namespaces: readonly string[], sources: WaoSources = {}) {
    this.nodes = cache.informer<Node>(NODES, {}, { name: 'nodes', listerWatcher: sources.nodes });
    const ncs = new Map<string, SharedInformer<NodeConfig>>();
    const ts = new Map<string, SharedInformer<NodeConfigTemplate>>();
    for (const namespace of namespaces) {
      const nc = cache.informer<NodeConfig>({ ...NODECONFIGS, namespace }, {}, { name: `nodeconfigs/${namespace}`, listerWatcher: sources.nodeConfigs?.(namespace) });
      nc.addIndexer(BY_NODE, (o) => o.spec?.nodeName);
      nc.addIndexer(BY_OWNER, (o) => (o.metadata?.ownerReferences ?? []).filter((r) => r.controller && r.kind === 'NodeConfigTemplate').map((r) => r.name));
      ncs.set(namespace, nc);
      ts.set(namespace, cache.informer<NodeConfigTemplate>({ ...NODECONFIGTEMPLATES, namespace }, {}, { name: `nodeconfigtemplates/${namespace}`, listerWatcher: sources.templates?.(namespace) }));
    }
    this.nodeConfigs = ncs;
    this.templates = ts;
  }

  all(): SharedInformer<any>[] {
    return [this.nodes, ...this.nodeConfigs.values(), ...this.templates.values()];
  }

  notReadyReason(): string | undefined {
    const pending = this.all().filter((i) => !i.hasSynced()).map((i) => i.name);
    return pending.length ? `waiting for first sync of ${pending.join(', ')}` : undefined;
  }

  nodeConfig(namespace: string, name: string): NodeConfig | undefined {
    return this.nodeConfigs.get(namespace)?.get(namespace, name);
  }

  allNodeConfigs(): NodeConfig[] {
    return [...this.nodeConfigs.values()].flatMap((i) => i.list());
  }

  /** The NodeConfigs of a node in every watched namespace, oldest first (then by namespace/name). */
  nodeConfigsOfNode(node: string): NodeConfig[] {
    return [...this.nodeConfigs.values()].flatMap((i) => i.byIndex(BY_NODE, node)).sort(byAge);
  }

  allTemplates(): NodeConfigTemplate[] {
    return [...this.templates.values()].flatMap((i) => i.list());
  }
}

/** Oldest first; ties by namespace/name: the deterministic choice among several objects. */
export function byAge(a: { metadata?: { creationTimestamp?: unknown; namespace?: string; name?: string } }, b: typeof a): number {
  const ta = String(a.metadata?.creationTimestamp ?? '');
  const tb = String(b.metadata?.creationTimestamp ?? '');
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ka = `${a.metadata?.namespace}/${a.metadata?.name}`;
  const kb = `${b.metadata?.namespace}/${b.metadata?.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** `namespace/name` split at the first slash. */
export function splitKey(key: string): [string, string] {
  const i = key.indexOf('/');
  return [key.slice(0, i), key.slice(i + 1)];
}
