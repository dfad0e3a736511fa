/**
 * The pure part of the config aggregator: parse and validate application configs, render the
 * aggregate in the original's format, check the ConfigMap size limit. No I/O here.
 */
import { createHash } from 'node:crypto';
import type { ValidateFunction } from 'ajv';
import { compareStrings } from '../../lib/k8s/sort.js';
import { appConfigKeyReason } from '../../lib/api/config-aggregator/names.js';
import { compileAppConfigSchema, schemaProblem, type JsonSchema } from '../../lib/api/config-aggregator/schema.js';
import { parseAllDocuments, stringify as toYaml } from 'yaml';

/** Kubernetes rejects a ConfigMap whose data (keys + values) exceeds 1 MiB. */
export const CONFIGMAP_MAX_BYTES = 1024 * 1024;

/** The parts of a ConfigMap the aggregator reads. */
export interface SourceConfigMap {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; uid?: string; resourceVersion?: string };
  data?: Record<string, string>;
}

export { toLabelSelector } from '../../lib/api/config-aggregator/label.js';

export interface CompiledSchema {
  readonly validate: ValidateFunction;
  /** Hash of the schema text: part of every validation cache key. */
  readonly hash: string;
}

export type SchemaResult = { ok: true; schema: CompiledSchema } | { ok: false; reason: string };

/** Compiles `schema.json`; a text that is not JSON, or JSON that is not a JSON Schema, is an error. */
export function compileSchema(text: string | undefined): SchemaResult {
  if (text === undefined) return { ok: false, reason: 'schema is missing' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `schema is not valid JSON: ${(err as Error).message}` };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    if (typeof parsed !== 'boolean') return { ok: false, reason: 'schema must be a JSON object' };
  }
  try {
    const validate = compileAppConfigSchema(parsed as JsonSchema);
    return { ok: true, schema: { validate, hash: sha(text) } };
  } catch (err) {
    return { ok: false, reason: `schema is not a valid JSON Schema: ${(err as Error).message}` };
  }
}

function sha(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** Why one entry was left out; `pointer` is a JSON pointer into the entry ('' for the whole entry). */
export interface InvalidEntry {
  readonly namespace: string;
  readonly name: string;
  readonly key: string;
  readonly uid?: string;
  readonly resourceVersion?: string;
  readonly pointer: string;
  readonly reason: string;
}

export type EntryCheck =
  | { ok: true; config: Record<string, unknown> }
  | { ok: false; pointer: string; reason: string };

/** Parses one data value as YAML and validates it: never throws. */
export function checkEntry(text: string, schema: CompiledSchema): EntryCheck {
  let value: unknown;
  try {
    const docs = parseAllDocuments(text);
    if (Array.isArray(docs) && docs.length > 1) return { ok: false, pointer: '', reason: 'holds more than one YAML document' };
    const doc = Array.isArray(docs) ? docs[0] : docs;
    if (!doc) return { ok: false, pointer: '', reason: 'is empty' };
    if (doc.errors.length > 0) {
      return { ok: false, pointer: '', reason: `is not valid YAML: ${doc.errors[0].message.split('\n')[0]}` };
    }
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    return { ok: false, pointer: '', reason: `is not valid YAML: ${(err as Error).message.split('\n')[0]}` };
  }
  if (value === null || value === undefined) return { ok: false, pointer: '', reason: 'is empty' };
  if (typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, pointer: '', reason: `must be a YAML mapping, got ${Array.isArray(value) ? 'a list' : typeof value}` };
  }
  if (!schema.validate(value)) {
    const { pointer, reason } = schemaProblem(schema.validate.errors);
    return { ok: false, pointer, reason };
  }
  return { ok: true, config: value as Record<string, unknown> };
}

/**
 * One item of the `configs:` list, as YAML text indented to sit under `configs:`. The source
 * namespace comes first and wins over any `namespace` the application wrote.
 */
export function renderEntry(namespace: string, config: Record<string, unknown>): string {
  const { namespace: _ignored, ...rest } = config;
  void _ignored;
  const text = toYaml([{ namespace, ...rest }], { lineWidth: 0 });
  return text
    .split('\n')
    .map((line) => (line ? `  ${line}` : line))
    .join('\n');
}

type CachedEntry = { ok: true; fragment: string } | { ok: false; pointer: string; reason: string };

export interface Aggregate {
  /** The value of the aggregate key: YAML with a `configs:` list. */
  readonly text: string;
  readonly entries: number;
  readonly invalid: InvalidEntry[];
}

/**
 * Builds the aggregate from all application ConfigMaps: every data key of every ConfigMap is
 * one entry, sorted by (namespace, name, key). Parsing, validation and rendering are cached per
 * (uid, resourceVersion, key, schema), so a single change costs one parse, not N.
 */
export class Aggregator {
  private cache = new Map<string, CachedEntry>();

  build(sources: Iterable<SourceConfigMap>, schema: CompiledSchema): Aggregate {
    const items: Array<{ ns: string; name: string; key: string; cm: SourceConfigMap }> = [];
    for (const cm of sources) {
      const ns = cm.metadata?.namespace ?? '';
      const name = cm.metadata?.name ?? '';
      for (const key of Object.keys(cm.data ?? {})) items.push({ ns, name, key, cm });
    }
    items.sort((a, b) => compareStrings(a.ns, b.ns) || compareStrings(a.name, b.name) || compareStrings(a.key, b.key));
    const next = new Map<string, CachedEntry>();
    const fragments: string[] = [];
    const invalid: InvalidEntry[] = [];
    for (const { ns, name, key, cm } of items) {
      const id = `${ns}/${name}/${cm.metadata?.uid ?? ''}/${cm.metadata?.resourceVersion ?? ''}/${key}/${schema.hash}`;
      let entry = this.cache.get(id) ?? next.get(id);
      if (!entry) {
        // A key AppConfig refuses at synth time is left out the same way (the API server refuses
        // most of them; a ConfigMap written by other means reads as the construct's error).
        const badKey = appConfigKeyReason(key);
        const r: EntryCheck = badKey ? { ok: false, pointer: '', reason: `is refused: ${badKey}` } : checkEntry(cm.data![key], schema);
        entry = r.ok ? { ok: true, fragment: renderEntry(ns, r.config) } : r;
      }
      next.set(id, entry);
      if (entry.ok) fragments.push(entry.fragment);
      else
        invalid.push({
          namespace: ns,
          name,
          key,
          uid: cm.metadata?.uid,
          resourceVersion: cm.metadata?.resourceVersion,
          pointer: entry.pointer,
          reason: entry.reason,
        });
    }
    this.cache = next;
    const text = fragments.length ? `configs:\n${fragments.join('')}` : 'configs: []\n';
    return { text, entries: fragments.length, invalid };
  }
}

/** Size of a ConfigMap's data the way the API server counts it (keys + values, bytes). */
export function configMapDataSize(data: Record<string, string | undefined>): number {
  let n = 0;
  for (const [k, v] of Object.entries(data)) n += Buffer.byteLength(k) + (v === undefined ? 0 : Buffer.byteLength(v));
  return n;
}
