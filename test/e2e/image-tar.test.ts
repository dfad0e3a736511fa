/** The deterministic tar writer of runtime/image: GNU tar reads what it writes, long names included. */
import { spawnSync } from 'node:child_process';
import { readTar, writeTar, type TarEntry } from '../../runtime/image/tar.js';

const long = `a/${'d'.repeat(120)}/file-with-a-long-name.txt`;
const entries: TarEntry[] = [
  { type: 'file', path: '/z.txt', data: Buffer.from('z\n') },
  { type: 'dir', path: 'a', mode: 0o700, uid: 65532, gid: 65532 },
  { type: 'file', path: long, data: Buffer.alloc(1000, 1), mode: 0o755 },
  { type: 'symlink', path: 'a/link', target: `/${'t'.repeat(150)}` },
];

describe('writeTar', () => {
  it('sorts entries and gives the same bytes for the same entries in any order', () => {
    const one = writeTar(entries, 1_700_000_000);
    const two = writeTar([...entries].reverse(), 1_700_000_000);
    expect(one.equals(two)).toBe(true);
    expect(readTar(one).map((e) => e.name)).toEqual(['a/', `${long}`, 'a/link', 'z.txt'].sort());
  });

  it('is read back by GNU tar with PAX long names, modes, ownership and time', () => {
    const tar = writeTar(entries, 1_700_000_000);
    const r = spawnSync('tar', ['-tv', '--numeric-owner', '--full-time', '-f', '-'], { input: tar, encoding: 'buffer' });
    expect(r.status).toBe(0);
    const lines = r.stdout.toString().trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^drwx------ 65532\/65532\s+0 2023-11-14 22:13:20 a\/$/);
    expect(lines.find((l) => l.includes('file-with-a-long-name'))).toMatch(new RegExp(`^-rwxr-xr-x 0/0\\s+1000 .* ${long}$`));
    expect(lines.find((l) => l.includes('a/link'))).toContain(`-> /${'t'.repeat(150)}`);
  });

  it('refuses duplicate and escaping paths', () => {
    expect(() => writeTar([entries[0], entries[0]], 0)).toThrow(/duplicate path/);
    expect(() => writeTar([{ type: 'dir', path: 'a/../b' }], 0)).toThrow(/bad path/);
  });
});
