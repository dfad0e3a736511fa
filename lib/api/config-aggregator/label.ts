import { isLabelValue, isQualifiedName } from '../../k8s/labels.js';
import { describeValue, quote, ValidationError } from '../../k8s/validation.js';

/** One label, as application ConfigMaps carry it. */
export interface AppConfigLabel {
  readonly key: string;
  readonly value: string;
}

/**
 * Parses the app-config label, `key=value` or the original's `key: value`, into one label;
 * throws a ValidationError naming `source` and `field` when the key or value is not a valid
 * Kubernetes label.
 */
export function parseAppConfigLabel(text: string, source = 'config-aggregator', field = 'appConfigLabel'): AppConfigLabel {
  if (typeof text !== 'string') throw new ValidationError(source, field, `must be a label as key=value, not ${describeValue(text)}`, text);
  const m = /^\s*([^\s:=]+)\s*(?:=|:)\s*(\S*)\s*$/.exec(text);
  if (!m) throw new ValidationError(source, field, `${quote(text)} is not key=value (such as "app.example.com/config=true")`, text);
  const [, key, value] = m;
  if (!isQualifiedName(key)) throw new ValidationError(source, field, `${quote(key)} is not a valid label key`, text);
  if (!isLabelValue(value)) throw new ValidationError(source, field, `${quote(value)} is not a valid label value`, text);
  return { key, value };
}

/**
 * Normalizes the `--app-config-label` flag to a label selector. The original documents the
 * label as `key: value`; `key=value`, `key` (exists) and full selectors pass through.
 */
export function toLabelSelector(flag: string): string {
  const s = flag.trim();
  if (!s) throw new ValidationError('--app-config-label', 'value', 'is empty');
  const m = /^([^\s:=,!()]+)\s*:\s*(\S*)$/.exec(s);
  return m ? `${m[1]}=${m[2]}` : s;
}
