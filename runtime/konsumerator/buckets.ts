/**
 * Which Kafka partitions each consumer instance owns, and the two ways they are written down:
 * the partition annotation / environment variable ("0,1,2", every partition) and the short
 * label value ("0-2", first and last).
 *
 * `numPartitions` N with `numPartitionsPerInstance` k gives ceil(N/k) instances; the partitions
 * are split into contiguous groups whose sizes differ by at most one, the larger groups first:
 * (10, 3) → [0,1,2] [3,4,5] [6,7] [8,9]; (3, 5) → [0,1,2]; (5, 1) → [0] [1] [2] [3] [4].
 */

/** The largest partition number Kafka can have (partition ids are int32). */
export const MAX_PARTITION = 2 ** 31 - 1;

function count(name: string, v: number): number {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${name} must be a non-negative integer, got ${v}`);
  return v;
}

/**
 * The partitions of each instance: `numPartitions` split into ceil(numPartitions/perInstance)
 * contiguous, balanced groups. Either argument 0 gives no instances (as the original).
 */
export function splitIntoBuckets(numPartitions: number, perInstance: number): number[][] {
  const n = count('numPartitions', numPartitions);
  const k = count('numPartitionsPerInstance', perInstance);
  if (n === 0 || k === 0) return [];
  const buckets = Math.ceil(n / k);
  const small = Math.floor(n / buckets);
  const large = n % buckets; // this many buckets get one more partition
  const out: number[][] = [];
  let next = 0;
  for (let b = 0; b < buckets; b++) {
    const size = small + (b < large ? 1 : 0);
    out.push(Array.from({ length: size }, () => next++));
  }
  return out;
}

/** How many instances `numPartitions` with `perInstance` each need: ceil(N/k), 0 when either is 0. */
export function instanceCount(numPartitions: number, perInstance: number): number {
  const n = count('numPartitions', numPartitions);
  const k = count('numPartitionsPerInstance', perInstance);
  return n === 0 || k === 0 ? 0 : Math.ceil(n / k);
}

/**
 * A short label value for a sorted list of partitions (the original's ConsecutiveIntsToRange):
 * one or two partitions are joined with '-' ("0", "0-1"), more give first and last ("0-6").
 * Always a valid label value (at most 21 characters); [] gives "".
 */
export function partitionsLabel(partitions: readonly number[]): string {
  const ends = partitions.length < 3 ? partitions : [partitions[0], partitions[partitions.length - 1]];
  return ends.map(String).join('-');
}

/** The partition annotation and environment value: every partition, comma-separated ("0,1,2"). */
export function formatPartitions(partitions: readonly number[]): string {
  for (const p of partitions) if (!Number.isSafeInteger(p) || p < 0 || p > MAX_PARTITION) throw new RangeError(`not a partition number: ${p}`);
  return partitions.join(',');
}

/**
 * Reads a partition annotation ("0,1,2"). Throws an Error naming the bad part for an empty
 * value, an empty item, or an item that is not a decimal partition number (no signs, spaces,
 * ranges or fractions: "0-1", "0,,1", " 1", "+1" are all refused).
 */
export function parsePartitions(annotation: string): number[] {
  if (annotation === '') throw new Error('the partition annotation is empty; expected a comma-separated list of partition numbers such as "0,1,2"');
  return annotation.split(',').map((item, i) => {
    const p = /^\d{1,10}$/.test(item) ? Number(item) : NaN;
    if (!(p <= MAX_PARTITION)) {
      throw new Error(`the partition annotation "${annotation}" has ${JSON.stringify(item)} at position ${i}, not a partition number (0..${MAX_PARTITION})`);
    }
    return p;
  });
}
