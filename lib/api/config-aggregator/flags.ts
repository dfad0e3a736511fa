import { FlagError, type FlagSpec, type FlagValuesOf } from '../flags.js';
import { MANAGER_FLAGS } from '../manager.js';
import { toLabelSelector } from './label.js';
import { APP_CONFIG_SCHEMA_CONFIGMAP, APP_CONFIG_SCHEMA_KEY, DEFAULT_APP_CONFIG_LABEL, DEFAULT_CONFIGMAP_KEY, appConfigKeyReason } from './names.js';

/** The original's flags, then the aggregator's own, then the manager's (leader election, port...). */
export const CONFIG_AGGREGATOR_FLAGS = [
  { name: 'configmap-name', type: 'string', required: true, description: 'Name of the aggregated ConfigMap (in --namespace).' },
  { name: 'configmap-key', type: 'string', default: DEFAULT_CONFIGMAP_KEY, description: 'Key of the aggregated ConfigMap that holds the YAML.' },
  {
    name: 'app-config-label',
    type: 'string',
    default: DEFAULT_APP_CONFIG_LABEL,
    description: 'Label of the application ConfigMaps: key=value, key: value, or a label selector.',
  },
  {
    name: 'interval',
    type: 'duration',
    default: '180s',
    description: 'Resync interval: a safety net recompute from the cache (changes are picked up by watch at once).',
  },
  {
    name: 'schema-configmap',
    type: 'string',
    default: APP_CONFIG_SCHEMA_CONFIGMAP,
    description: `ConfigMap (in --namespace) whose ${APP_CONFIG_SCHEMA_KEY} validates application configs.`,
  },
  { name: 'debounce', type: 'duration', default: '100ms', description: 'Changes within this window are aggregated together.' },
  ...MANAGER_FLAGS,
] as const satisfies readonly FlagSpec[];

export type ConfigAggregatorFlags = FlagValuesOf<typeof CONFIG_AGGREGATOR_FLAGS>;

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

/** The options of the flags; a key the API server would refuse is a FlagError naming the flag. */
export function optionsFromFlags(v: ConfigAggregatorFlags): ConfigAggregatorOptions {
  const badKey = appConfigKeyReason(v['configmap-key']);
  if (badKey) throw new FlagError('configmap-key', badKey);
  return {
    namespace: v.namespace,
    configmapName: v['configmap-name'],
    configmapKey: v['configmap-key'],
    labelSelector: toLabelSelector(v['app-config-label']),
    schemaConfigMap: v['schema-configmap'],
    resyncIntervalMs: v.interval,
    debounceMs: v.debounce,
  };
}
