import { MANAGER_FLAGS, type FlagSpec, type FlagValues } from '../kit/index.js';
import { toLabelSelector } from './aggregate.js';

export const DEFAULT_APP_CONFIG_LABEL = 'numaprom.numaproj.io/component=argo-rollouts';
export const DEFAULT_SCHEMA_CONFIGMAP = 'application-config-schema';
export const SCHEMA_KEY = 'schema.json';

/** The original's flags, then the aggregator's own, then the manager's (leader election, port...). */
export const CONFIG_AGGREGATOR_FLAGS: readonly FlagSpec[] = [
  { name: 'configmap-name', type: 'string', required: true, description: 'Name of the aggregated ConfigMap (in --namespace).' },
  { name: 'configmap-key', type: 'string', default: 'config.yaml', description: 'Key of the aggregated ConfigMap that holds the YAML.' },
  { name: 'app-config-label', type: 'string', default: DEFAULT_APP_CONFIG_LABEL, description: 'Label of the application ConfigMaps: key=value, key: value, or a label selector.' },
  { name: 'interval', type: 'duration', default: '180s', description: 'Resync interval: a safety net recompute from the cache (changes are picked up by watch at once).' },
  { name: 'schema-configmap', type: 'string', default: DEFAULT_SCHEMA_CONFIGMAP, description: `ConfigMap (in --namespace) whose ${SCHEMA_KEY} validates application configs.` },
  { name: 'debounce', type: 'duration', default: '100ms', description: 'Changes within this window are aggregated together.' },
  ...MANAGER_FLAGS,
];

export interface ConfigAggregatorOptions {
  readonly namespace: string;
  readonly configmapName: string;
  readonly configmapKey: string;
  /** A label selector (normalized from --app-config-label). */
  readonly labelSelector: string;
  readonly schemaConfigMap: string;
  readonly resyncIntervalMs: number;
  readonly debounceMs: number;
  /** Field manager of the server-side apply. @default 'config-aggregator' */
  readonly fieldManager?: string;
}

export function optionsFromFlags(v: FlagValues): ConfigAggregatorOptions {
  return {
    namespace: v['namespace'] as string,
    configmapName: v['configmap-name'] as string,
    configmapKey: v['configmap-key'] as string,
    labelSelector: toLabelSelector(v['app-config-label'] as string),
    schemaConfigMap: v['schema-configmap'] as string,
    resyncIntervalMs: v['interval'] as number,
    debounceMs: v['debounce'] as number,
  };
}
