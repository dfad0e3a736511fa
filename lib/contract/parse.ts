import { pointer } from '../k8s/json-pointer.js';
import { compareStrings } from '../k8s/sort.js';
import { describeValue, isPlainObject } from '../k8s/validation.js';
import { normalizeAbsolutePath, normalizeRelativePath, urlCredentialsReason } from '../k8s/validators.js';
import { ModuleOutputsError } from './errors.js';
import { mergeParsed } from './merge.js';
import { parseFileMode } from './rules.js';
import { validateModuleOutputs } from './schema.js';
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
    throw new ModuleOutputsError(typeof name === 'string' ? name : describeValue(name), '', 'a module needs a non-empty name (it is used in every error message)');
  }
  return name;
}

/** Deeper than any module output can be (`mount_secret.k.items.f.mode` is 5): a bound, not a limit users meet. */
export const MAX_NESTING = 32;

/**
 * Checks that `value` is JSON data (what Terraform and `JSON.parse` produce): plain objects,
 * lists, strings, finite numbers, booleans, null. A `Map` or class instance would be read as an
 * empty object and silently lose its entries; a bigint or a cycle would crash later. Iterative,
 * and bounded at {@link MAX_NESTING} levels, so hostile input cannot overflow the stack.
 */
export function checkJsonData(module: string, value: unknown): void {
  // Pointers are built only for an error: the walk is on every module's path.
  interface Step { readonly v: unknown; readonly parent?: Step; readonly key?: string; readonly depth: number }
  const at = (s: Step): string => {
    const keys: string[] = [];
    for (let x: Step | undefined = s; x?.key !== undefined; x = x.parent) keys.unshift(x.key);
    return pointer(...keys);
  };
  const stack: Step[] = [{ v: value, depth: 0 }];
  while (stack.length > 0) {
    const step = stack.pop()!;
    const v = step.v;
    if (v === null || v === undefined) continue;
    const type = typeof v;
    if (type === 'string' || type === 'boolean') continue;
    if (type === 'number') {
      if (!Number.isFinite(v)) throw new ModuleOutputsError(module, at(step), `must be a finite number, not ${describeValue(v)}`);
      continue;
    }
    if (type !== 'object' || !(Array.isArray(v) || isPlainObject(v))) {
      throw new ModuleOutputsError(module, at(step), `must be JSON data (an object, a list, a string, a number or a boolean), not ${describeValue(v)}`);
    }
    if (step.depth >= MAX_NESTING) throw new ModuleOutputsError(module, at(step), `is nested deeper than ${MAX_NESTING} levels, which no module output is`);
    // A cycle is an ancestor met again (an object shared by two fields is fine); depth bounds the walk up.
    for (let x = step.parent; x; x = x.parent) {
      if (x.v === v) throw new ModuleOutputsError(module, at(step), 'refers to itself (a cycle), which JSON cannot hold');
    }
    const depth = step.depth + 1;
    if (Array.isArray(v)) for (let i = 0; i < v.length; i++) stack.push({ v: v[i], parent: step, key: String(i), depth });
    else for (const k of Object.keys(v as object)) stack.push({ v: (v as Record<string, unknown>)[k], parent: step, key: k, depth });
  }
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

/**
 * A map output given as a list, or a set output given as a list of lists, is a module with
 * `count`. (A `null` in a list of names is a hole, reported by the schema, not a count list.)
 */
function isCountForm(output: OutputName, value: unknown): boolean {
  if (!Array.isArray(value)) return false;
  return MAP_OUTPUTS.has(output) || value.some((v) => Array.isArray(v));
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
    const path = pointer('env', name);
    env.push({ name, source: { kind: 'value', value: envText(module, path, value) }, module, path });
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
        const path = normalizeRelativePath(file);
        return mode === undefined ? { key: item.field, path } : { key: item.field, path, mode };
      });
      const files = new Set<string>();
      for (const i of items ?? []) {
        if (files.has(i.path)) throw new ModuleOutputsError(module, `${pointer(output, key)}/items`, `two items write the file "${i.path}": give each its own file name`);
        files.add(i.path);
      }
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
    const modes = m.access_modes ?? [];
    if (modes.includes('ReadWriteOncePod') && modes.length > 1) {
      throw new ModuleOutputsError(module, `${pointer('mount_volume_claim', key)}/access_modes`, 'ReadWriteOncePod cannot be combined with other access modes (the API server refuses it)');
    }
    const source: VolumeSource = {
      kind: 'newClaim',
      size: m.size,
      accessModes: m.access_modes ?? ['ReadWriteOnce'],
      ...defined({ storageClass: m.storage_class }),
    };
    mounts.push(mount(module, 'mount_volume_claim', key, m, source, m.read_only ?? false));
  }
  // Entries are immutable for real: every merge that includes this module shares them.
  for (const e of env) Object.freeze(Object.freeze(e.source) && e);
  for (const e of envFrom) Object.freeze(e);
  for (const m of mounts) freezeMount(m);
  // A module that sets one env name or mount path twice is checked like two modules would be.
  return mergeParsed([{ env, envFrom, mounts }]);
}

function freezeMount(m: MountEntry): void {
  const s = m.source as { items?: readonly KeyToPath[]; accessModes?: readonly string[] };
  if (s.items) for (const i of Object.freeze(s.items)) Object.freeze(i);
  if (s.accessModes) Object.freeze(s.accessModes);
  Object.freeze(m.source);
  Object.freeze(m);
}

function mount(module: string, output: OutputName, key: string, m: SnakeMount, source: VolumeSource, readOnly: boolean): MountEntry {
  const path = pointer(output, key);
  if (m.subpath !== undefined && m.sub_path !== undefined) {
    throw new ModuleOutputsError(module, `${path}/sub_path`, 'sets both "subpath" and "sub_path": keep one');
  }
  const mountPath = normalizeAbsolutePath(m.path);
  if (mountPath === '/') throw new ModuleOutputsError(module, `${path}/path`, 'mounts over the root of the container\'s file system: give a directory');
  const given = m.subpath ?? m.sub_path;
  // `a/./b/` is `a/b`; a sub path of `.` is the whole volume.
  const subPath = given === undefined ? undefined : normalizeRelativePath(given) || undefined;
  return { key, output, mountPath, readOnly, source, module, path, ...defined({ subPath }) };
}

/**
 * The text of a literal env value. Terraform numbers arrive as JSON numbers: one that a
 * JavaScript number cannot hold exactly (`12345678901234567890`) or would print in another form
 * (`1e21` as `1e+21`) is refused rather than changed; a URL with credentials is refused rather
 * than written in plain text into a manifest.
 */
function envText(module: string, path: string, value: string | number | boolean): string {
  if (typeof value === 'number') {
    const text = String(value);
    if (/e/i.test(text) || (Number.isInteger(value) && !Number.isSafeInteger(value))) {
      throw new ModuleOutputsError(module, path, `number ${text} cannot be kept exactly (a JavaScript number holds about 16 digits, in this form); write it as a string in the module (e.g. tostring() in Terraform)`);
    }
    return text;
  }
  const text = String(value);
  const credentials = urlCredentialsReason(text, 'a Secret published through env_from_secret or env_secret');
  if (credentials) throw new ModuleOutputsError(module, path, credentials);
  return text;
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
  const parsed = typeof doc === 'string' ? parseJsonText(module, doc, 'expected the output of `terraform output -json`') : doc;
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
    if (entry.sensitive !== undefined && typeof entry.sensitive !== 'boolean') {
      throw new ModuleOutputsError(module, `${pointer(name)}/sensitive`, `must be true or false, not ${describeValue(entry.sensitive)}`);
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

/**
 * Parses a JSON text (a `terraform output -json` document, a file): a byte-order mark or a syntax
 * error is reported as such, with `what` the text was expected to be (and the file, in `module`).
 */
export function parseJsonText(module: string, text: string, what: string): unknown {
  if (text.charCodeAt(0) === 0xfeff) {
    throw new ModuleOutputsError(module, '', `starts with a byte-order mark (U+FEFF), which JSON does not allow; save it as UTF-8 without BOM (${what})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ModuleOutputsError(module, '', `not valid JSON (${what}): ${(e as Error).message}`);
  }
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
