import { isDns1123Subdomain } from '../../lib/k8s/index.js';

export const DEFAULT_APP_CONFIG_LABEL = 'numaprom.numaproj.io/component=argo-rollouts';

const LABEL_NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;
const LABEL_VALUE = /^(([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?)$/;

/**
 * Parses the app-config label, `key=value` or the original's `key: value`, into one label;
 * throws naming `field` when the key or value is not a valid Kubernetes label.
 */
export function parseAppConfigLabel(text: string, field = 'appConfigLabel'): { key: string; value: string } {
  const m = /^\s*([^\s:=]+)\s*(?:=|:)\s*(\S*)\s*$/.exec(text);
  if (!m) throw new Error(`${field}: "${text}" is not key=value`);
  const [, key, value] = m;
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if ((prefix !== undefined && !isDns1123Subdomain(prefix)) || name.length > 63 || !LABEL_NAME.test(name)) {
    throw new Error(`${field}: "${key}" is not a valid label key`);
  }
  if (value.length > 63 || !LABEL_VALUE.test(value)) throw new Error(`${field}: "${value}" is not a valid label value`);
  return { key, value };
}
