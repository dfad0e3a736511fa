import { createHash } from 'node:crypto';

/** RFC 1123 label: object names such as Services, and volume and container names. */
export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** RFC 1123 subdomain: names of ConfigMaps, Secrets, Deployments, ... */
export const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export const DNS1123_LABEL_MAX = 63;
export const DNS1123_SUBDOMAIN_MAX = 253;

export function isDns1123Label(s: string): boolean {
  return s.length <= DNS1123_LABEL_MAX && DNS1123_LABEL.test(s);
}

export function isDns1123Subdomain(s: string): boolean {
  return s.length <= DNS1123_SUBDOMAIN_MAX && DNS1123_SUBDOMAIN.test(s);
}

/** A short, stable hex digest of a string: the same input gives the same suffix on every synth. */
export function shortHash(input: string, length = 8): string {
  return createHash('sha256').update(input).digest('hex').slice(0, length);
}

/**
 * Turns any string into a valid DNS-1123 label of at most `max` characters.
 * Lower-cases, replaces invalid runs with '-', trims dashes; when that changed or truncated
 * the input, appends a short hash of the original so that distinct inputs stay distinct.
 */
export function toDns1123Label(input: string, max = DNS1123_LABEL_MAX): string {
  const cleaned = input
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (cleaned === input && cleaned.length <= max && cleaned.length > 0) return cleaned;
  const hash = shortHash(input, 6);
  const room = max - hash.length - 1;
  const head = cleaned.slice(0, room).replace(/-+$/g, '');
  return head ? `${head}-${hash}` : `v-${hash}`;
}

/** RFC 1035 label: Service names (a DNS-1123 label that starts with a letter). */
export const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

export function isDns1035Label(s: string): boolean {
  return s.length <= DNS1123_LABEL_MAX && DNS1035_LABEL.test(s);
}
