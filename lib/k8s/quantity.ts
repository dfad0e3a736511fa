/** Kubernetes resource quantities. */

const MEMORY_UNITS: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
};

/** A memory quantity (`256Mi`, `1Gi`, `500M`, `268435456`) in MiB; undefined when not understood. */
export function memoryQuantityToMiB(q: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(q.trim());
  if (!m) return undefined;
  return (parseFloat(m[1]) * MEMORY_UNITS[m[2] ?? '']) / 1024 ** 2;
}
