import { formatPartitions, instanceCount, parsePartitions, partitionsLabel, splitIntoBuckets } from '../../../runtime/konsumerator/buckets.js';

describe('splitIntoBuckets', () => {
  it.each([
    [0, 0, []],
    [0, 10, []],
    [10, 0, []],
    [1, 1, [[0]]],
    [3, 5, [[0, 1, 2]]],
    [10, 3, [[0, 1, 2], [3, 4, 5], [6, 7], [8, 9]]],
    [9, 3, [[0, 1, 2], [3, 4, 5], [6, 7, 8]]],
    [12, 3, [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10, 11]]],
    [5, 1, [[0], [1], [2], [3], [4]]],
    [7, 4, [[0, 1, 2, 3], [4, 5, 6]]],
  ])('(%i, %i)', (n, k, expected) => {
    expect(splitIntoBuckets(n, k)).toEqual(expected);
    expect(instanceCount(n, k)).toBe(expected.length);
  });

  it('covers every partition once, in order, in ceil(N/k) balanced groups of at most k', () => {
    for (let n = 1; n <= 60; n++) {
      for (let k = 1; k <= 13; k++) {
        const b = splitIntoBuckets(n, k);
        expect(b).toHaveLength(Math.ceil(n / k));
        expect(b.flat()).toEqual(Array.from({ length: n }, (_, i) => i));
        const sizes = b.map((x) => x.length);
        expect(Math.max(...sizes)).toBeLessThanOrEqual(k);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
        // larger groups first
        expect([...sizes].sort((x, y) => y - x)).toEqual(sizes);
      }
    }
  });

  it('refuses negative and fractional counts', () => {
    expect(() => splitIntoBuckets(-1, 3)).toThrow(/numPartitions must be a non-negative integer, got -1/);
    expect(() => splitIntoBuckets(10, 2.5)).toThrow(/numPartitionsPerInstance/);
    expect(() => instanceCount(NaN, 1)).toThrow(RangeError);
  });
});

describe('partitionsLabel (ConsecutiveIntsToRange)', () => {
  it.each([
    [[], ''],
    [[0], '0'],
    [[0, 1], '0-1'],
    [[0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12], '0-12'],
    [Array.from({ length: 28 }, (_, i) => i + 2), '2-29'],
    [[2147483645, 2147483646, 2147483647], '2147483645-2147483647'],
  ])('%j → %s', (ints, label) => {
    expect(partitionsLabel(ints)).toBe(label);
    expect(label.length).toBeLessThanOrEqual(63);
  });
});

describe('the partition annotation', () => {
  it('formats and parses "0,1,2"', () => {
    expect(formatPartitions([0, 1, 2])).toBe('0,1,2');
    expect(formatPartitions([7])).toBe('7');
    expect(parsePartitions('0,1,2')).toEqual([0, 1, 2]);
    expect(parsePartitions('1')).toEqual([1]);
    expect(parsePartitions('2147483647')).toEqual([2147483647]);
    for (const b of splitIntoBuckets(10, 3)) expect(parsePartitions(formatPartitions(b))).toEqual(b);
  });

  it.each([
    ['', /empty/],
    ['0-1', /"0-1" at position 0/],
    ['0,1,a', /"a" at position 2/],
    ['0,,1', /"" at position 1/],
    ['0, 1', /" 1" at position 1/],
    ['+1', /"\+1"/],
    ['-1', /"-1"/],
    ['1.5', /"1.5"/],
    ['2147483648', /"2147483648"/],
  ])('refuses %j', (text, msg) => {
    expect(() => parsePartitions(text)).toThrow(msg);
  });

  it('refuses to format what is not a partition', () => {
    expect(() => formatPartitions([0, -1])).toThrow(/not a partition number: -1/);
    expect(() => formatPartitions([1.5])).toThrow(RangeError);
  });
});
