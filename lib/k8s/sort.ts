/** Sorting helpers for deterministic output. Pure TypeScript. */

/**
 * Compares strings by UTF-16 code units, as `Array.prototype.sort()` does by default: the same
 * order on every machine and locale (unlike `localeCompare`).
 */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A comparator of objects by one string field, e.g. `volumes.sort(by('name'))`. */
export function by<K extends string>(key: K): (a: { readonly [P in K]: string }, b: { readonly [P in K]: string }) => number {
  return (a, b) => compareStrings(a[key], b[key]);
}
