import { pointer } from '../k8s/json-pointer.js';
import { compareStrings } from '../k8s/sort.js';
import { normalizeAbsolutePath } from '../k8s/validators.js';
import { ModuleOutputsError } from './errors.js';
import { mergeParsed } from './merge.js';
import { parseFileMode } from './rules.js';
import { describeValue, validateModuleOutputs } from './schema.js';
import {
  OUTPUT_NAMES,
  type EnvEntry,
  type EnvFromEntry,
  type KeyToPath,
  type ModuleOutputsProps,
  type MountEntry,
  type OutputName,
  type VolumeSource,
} from './types.js';

/** One module's outputs after validation: every entry tagged with its module and pointer. */
export interface ParsedModule {
  readonly env: EnvEntry[];
  readonly envFrom: EnvFromEntry[];
  readonly mounts: MountEntry[];
}

/** Outputs whose value is a map (as opposed to a set of names). */
const MAP_OUTPUTS = new Set<OutputName>(OUTPUT_NAMES.filter((n) => n !== 'env_configmap' && n !== 'env_secret'));

export function checkModuleName(name: unknown): string {
  if (typeof name !== 'string' || name.trim() === '') {
    throw new ModuleOutputsError(String(name), '', 'a module needs a non-empty name (it is used in every error message)');
  }
  return name;
}

/**
 * Splits a module object into the modules it stands for. A module used with `count` (or an
 * output written as `module.x[*].env`) arrives as a list: each element becomes `name[i]`.
 */
export function splitCount(name: string, value: unknown): Array<[string, Record<string, unknown>]> {
  if (Array.isArray(value)) {
    return value.flatMap((element, i) => splitCount(`${name}[${i}]`, element));
  }
  if (value === null || typeof value !== 'object') {
    throw new ModuleOutputsError(name, '', `module outputs must be an object, not ${describeValue(value)}`);
  }
  const obj = value as Record<string, unknown>;
  const counted = OUTPUT_NAMES.filter((o) => isCountForm(o, obj[o]));
  if (counted.length === 0) return [[name, obj]];
  const shared: Record<string, unknown> = {};
  for (const o of OUTPUT_NAMES) if (!counted.includes(o) && obj[o] !== undefined) shared[o] = obj[o];
  const length = Math.max(...counted.map((o) => (obj[o] as unknown[]).length));
  const parts: Array<[string, Record<string, unknown>]> = Object.keys(shared).length ? [[name, shared]] : [];
  for (let i = 0; i < length; i++) {
    const element: Record<string, unknown> = {};
    for (const o of counted) element[o] = (obj[o] as unknown[])[i];
    parts.push([`${name}[${i}]`, element]);
  }
  return parts;
}

function isCountForm(output: OutputName, value: unknown): boolean {
  if (!Array.isArray(value)) return false;
  return MAP_OUTPUTS.has(output) || value.some((v) => Array.isArray(v) || v === null);
}

/** Validates and normalizes one module's snake_case outputs (no `count` lists left). */
export function parseHcl(module: string, raw: Record<string, unknown>): ParsedModule {
  const outputs: Record<string, unknown> = {};
  for (const o of OUTPUT_NAMES) if (raw[o] !== undefined && raw[o] !== null) outputs[o] = raw[o];
  validateModuleOutputs(module, outputs);
  const o = outputs as SnakeOutputs;
  const env: EnvEntry[] = [];
  const envFrom: EnvFromEntry[] = [];
  const mounts: MountEntry[] = [];

  for (const [name, value] of Object.entries(o.env ?? {})) {
    env.push({ name, source: { kind: 'value', value: String(value) }, module, path: pointer('env', name) });
  }
  for (const [name, ref] of Object.entries(o.env_from_configmap ?? {})) {
    const source = { kind: 'configMapKey', name: ref.configmap, key: ref.field } as const;
    env.push({ name, source, module, path: pointer('env_from_configmap', name) });
  }
  for (const [name, ref] of Object.entries(o.env_from_secret ?? {})) {
    env.push({ name, source: { kind: 'secretKey', name: ref.secret, key: ref.field }, module, path: pointer('env_from_secret', name) });
  }
  (o.env_configmap ?? []).forEach((name, i) => envFrom.push({ kind: 'configMap', name, module, path: pointer('env_configmap', i) }));
  (o.env_secret ?? []).forEach((name, i) => envFrom.push({ kind: 'secret', name, module, path: pointer('env_secret', i) }));

  for (const kind of ['configmap', 'secret'] as const) {
    const output = `mount_${kind}` as const;
    for (const [key, m] of Object.entries(o[output] ?? {})) {
      const items = m.items === undefined ? undefined : Object.entries(m.items).map(([file, item]): KeyToPath => {
        const mode = item.mode === undefined ? undefined : parseFileMode(item.mode);
        return mode === undefined ? { key: item.field, path: file } : { key: item.field, path: file, mode };
      });
      const source: VolumeSource = {
        kind: kind === 'configmap' ? 'configMap' : 'secret',
        name: kind === 'configmap' ? m.configmap! : m.secret!,
        ...(m.mode === undefined ? {} : { defaultMode: parseFileMode(m.mode) }),
        ...(items === undefined ? {} : { items: items.sort((a, b) => compareStrings(a.path, b.path)) }),
      };
      mounts.push(mount(module, output, key, m, source, true));
    }
  }
  for (const [key, m] of Object.entries(o.mount_volume ?? {})) {
    const path = pointer('mount_volume', key);
    const given = (['claim_name', 'nfs', 'empty_dir'] as const).filter((f) => m[f] !== undefined);
    if (given.length !== 1) {
      const reason = given.length === 0 ? 'names no volume' : `sets ${given.join(' and ')}`;
      throw new ModuleOutputsError(module, path, `${reason}: give exactly one of claim_name, nfs or empty_dir`);
    }
    const source: VolumeSource = m.claim_name !== undefined
      ? { kind: 'claim', claimName: m.claim_name }
      : m.nfs !== undefined
        ? { kind: 'nfs', server: m.nfs.server, path: m.nfs.path }
        : { kind: 'emptyDir', ...defined({ medium: m.empty_dir!.medium || undefined, sizeLimit: m.empty_dir!.size_limit }) };
    mounts.push(mount(module, 'mount_volume', key, m, source, m.read_only ?? false));
  }
  for (const [key, m] of Object.entries(o.mount_volume_claim ?? {})) {
    const source: VolumeSource = {
      kind: 'newClaim',
      size: m.size,
      accessModes: m.access_modes ?? ['ReadWriteOnce'],
      ...defined({ storageClass: m.storage_class }),
    };
    mounts.push(mount(module, 'mount_volume_claim', key, m, source, m.read_only ?? false));
  }
  // A module that sets one env name or mount path twice is checked like two modules would be.
  return mergeParsed([{ env, envFrom, mounts }]);
}

function mount(module: string, output: OutputName, key: string, m: SnakeMount, source: VolumeSource, readOnly: boolean): MountEntry {
  const path = pointer(output, key);
  if (m.subpath !== undefined && m.sub_path !== undefined) {
    throw new ModuleOutputsError(module, `${path}/sub_path`, 'sets both "subpath" and "sub_path": keep one');
  }
  const subPath = m.subpath ?? m.sub_path;
  return { key, output, mountPath: normalizeAbsolutePath(m.path), readOnly, source, module, path, ...defined({ subPath }) };
}

/** Converts TypeScript props (camelCase) to the snake_case form, refusing unknown fields. */
export function propsToHcl(module: string, props: ModuleOutputsProps): Record<string, unknown> {
  if (props === null || typeof props !== 'object' || Array.isArray(props)) {
    throw new ModuleOutputsError(module, '', `module outputs must be an object, not ${describeValue(props)}`);
  }
  const out: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(props)) {
    const snake = camelToSnake(field);
    if (!(OUTPUT_NAMES as readonly string[]).includes(snake) || snake === field && field.includes('_')) {
      throw new ModuleOutputsError(module, pointer(field), `unknown output "${field}" (expected one of ${OUTPUT_NAMES.map(snakeToCamel).join(', ')})`);
    }
    if (value === undefined) continue;
    out[snake] = snake.startsWith('mount_') && isPlainObject(value) ? mapValues(value, mountToSnake) : value;
  }
  return out;
}

function mountToSnake(mount: unknown): unknown {
  if (!isPlainObject(mount)) return mount;
  const out: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(mount)) {
    const snake = field === 'subPath' ? 'sub_path' : camelToSnake(field);
    out[snake] = field === 'emptyDir' && isPlainObject(value) ? mapKeys(value, camelToSnake) : value;
  }
  return out;
}

const camelToSnake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const snakeToCamel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const mapValues = (o: Record<string, unknown>, f: (v: unknown) => unknown) =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));
const mapKeys = (o: Record<string, unknown>, f: (k: string) => string) =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [f(k), v]));

/** Drops undefined fields, so rendered JSON never carries `key: undefined`. */
export function defined<T extends Record<string, unknown>>(o: T): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as Partial<T>;
}

/**
 * Reads a `terraform output -json` document: `{ name: { value, type, sensitive } }`.
 * Unknown outputs (`host`, `url`, ...) are ignored; a null value means "not set".
 */
export function terraformOutputToHcl(module: string, doc: unknown): Record<string, unknown> {
  let parsed = doc;
  if (typeof doc === 'string') {
    try {
      parsed = JSON.parse(doc);
    } catch (e) {
      throw new ModuleOutputsError(module, '', `not valid JSON (expected the output of \`terraform output -json\`): ${(e as Error).message}`);
    }
  }
  if (!isPlainObject(parsed)) {
    throw new ModuleOutputsError(module, '', `\`terraform output -json\` must be an object, not ${describeValue(parsed)}`);
  }
  const out: Record<string, unknown> = {};
  for (const name of OUTPUT_NAMES) {
    const entry = parsed[name];
    if (entry === undefined) continue;
    if (!isPlainObject(entry) || !('value' in entry)) {
      throw new ModuleOutputsError(module, pointer(name), 'is not a `terraform output -json` entry ({ "value": ..., "type": ..., "sensitive": ... })');
    }
    if (name === 'env' && entry.sensitive === true) {
      throw new ModuleOutputsError(
        module,
        pointer(name),
        'is marked sensitive: its values would be written in plain text into manifests; publish them through env_secret or env_from_secret',
      );
    }
    out[name] = entry.value;
  }
  return out;
}

// The validated snake_case shapes (the schema guarantees them).
interface SnakeMount {
  path: string;
  subpath?: string;
  sub_path?: string;
  read_only?: boolean;
}
interface SnakeObjectMount extends SnakeMount {
  configmap?: string;
  secret?: string;
  mode?: string | number;
  items?: Record<string, { field: string; mode?: string | number }>;
}
interface SnakeOutputs {
  env?: Record<string, string | number | boolean>;
  env_configmap?: string[];
  env_secret?: string[];
  env_from_configmap?: Record<string, { configmap: string; field: string }>;
  env_from_secret?: Record<string, { secret: string; field: string }>;
  mount_configmap?: Record<string, SnakeObjectMount>;
  mount_secret?: Record<string, SnakeObjectMount>;
  mount_volume?: Record<string, SnakeMount & { claim_name?: string; nfs?: { server: string; path: string }; empty_dir?: { medium?: string; size_limit?: string } }>;
  mount_volume_claim?: Record<string, SnakeMount & { size: string; storage_class?: string; access_modes?: string[] }>;
}
