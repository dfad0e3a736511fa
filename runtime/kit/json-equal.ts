/**
 * Whether two JSON values are equal regardless of key order: what a controller compares before
 * writing (desired spec vs. the cached object, new status vs. the stored one), so that an
 * unchanged object costs no request.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/** JSON text with object keys sorted; `undefined` as `null`. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value ?? null, (_key, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([p], [q]) => (p < q ? -1 : p > q ? 1 : 0)))
      : x,
  );
}
