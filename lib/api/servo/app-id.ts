/**
 * The original's `OPTUNE_APP_ID` path (servo-k8s-multijob `qry()`): `/`-separated elements, each
 * a map key or an array index; `[K]` searches an array of `{name, value}` maps for `name == K`
 * and yields its `value`, `[K,keyField,valueField]` the same with other field names. Empty
 * elements are skipped (a leading `/` is allowed). Parsed once, checked at synth time and at start.
 */

/** One element of an app id path. */
export type AppIdStep =
  | { readonly kind: 'field'; readonly name: string }
  | { readonly kind: 'lookup'; readonly key: string; readonly keyField: string; readonly valueField: string };

/** A parsed app id path. */
export interface AppIdPath {
  readonly text: string;
  readonly steps: readonly AppIdStep[];
  /** Index of the container the path reads (`spec/containers/<i>/...`); the job's container. 0 otherwise. */
  readonly containerIndex: number;
  /** Name of the container the path selects by `spec/containers/[name,...]`, if it does. */
  readonly containerName?: string;
}

/** The path, or the reason it is invalid. */
export function parseAppIdPath(text: string): AppIdPath | string {
  if (typeof text !== 'string' || text.trim() === '') return 'must be a non-empty path such as spec/containers/0/env/[JOBID]';
  const steps: AppIdStep[] = [];
  for (const el of text.split('/')) {
    if (el === '') continue;
    if (el.startsWith('[')) {
      if (!el.endsWith(']')) return `element "${el}" opens [ without closing it`;
      const parts = el.slice(1, -1).split(',');
      if (parts.length !== 1 && parts.length !== 3) return `element "${el}" must be [key] or [key,keyField,valueField]`;
      if (parts.some((p) => p === '')) return `element "${el}" has an empty part`;
      const [key, keyField = 'name', valueField = 'value'] = parts;
      steps.push({ kind: 'lookup', key, keyField, valueField });
    } else {
      if (el.includes('[') || el.includes(']')) return `element "${el}" mixes a name with brackets`;
      steps.push({ kind: 'field', name: el });
    }
  }
  if (!steps.length) return 'has no element';
  let containerIndex = 0;
  let containerName: string | undefined;
  const [a, b, c] = steps;
  if (a?.kind === 'field' && a.name === 'spec' && b?.kind === 'field' && b.name === 'containers' && c) {
    if (c.kind === 'field' && /^\d+$/.test(c.name)) containerIndex = Number(c.name);
    else if (c.kind === 'lookup' && c.keyField === 'name') containerName = c.key;
  }
  return { text, steps, containerIndex, ...(containerName !== undefined ? { containerName } : {}) };
}

/** Follows `path` in `obj` (never throws): the value, or undefined when any element is missing. */
export function valueAtAppIdPath(obj: unknown, path: AppIdPath): unknown {
  let node: unknown = obj;
  for (const step of path.steps) {
    if (node === null || typeof node !== 'object') return undefined;
    if (step.kind === 'lookup') {
      if (!Array.isArray(node)) return undefined;
      const hit = node.find((e) => e !== null && typeof e === 'object' && (e as Record<string, unknown>)[step.keyField] === step.key);
      node = hit === undefined || !Object.prototype.hasOwnProperty.call(hit, step.valueField) ? undefined : (hit as Record<string, unknown>)[step.valueField];
    } else if (Array.isArray(node)) {
      if (!/^\d+$/.test(step.name)) return undefined;
      node = node[Number(step.name)];
    } else {
      node = Object.prototype.hasOwnProperty.call(node, step.name) ? (node as Record<string, unknown>)[step.name] : undefined;
    }
  }
  return node;
}

/**
 * The app id of `obj`: the value at `path` when it is a non-empty string, else undefined (not a
 * job). `.` and `..` are not app ids: as a URL path segment they would move the POST elsewhere.
 */
export function appIdOf(obj: unknown, path: AppIdPath): string | undefined {
  const v = valueAtAppIdPath(obj, path);
  return typeof v === 'string' && v !== '' && v !== '.' && v !== '..' ? v : undefined;
}
