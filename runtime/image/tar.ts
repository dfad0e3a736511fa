/**
 * A small deterministic tar writer (POSIX ustar, with a PAX header for names that do not fit):
 * entries sorted by path, one fixed mtime, numeric ownership, no user or group names, so the
 * same entries always give the same bytes.
 */
import { by } from '../../lib/k8s/sort.js';

export type TarEntry =
  | { readonly type: 'dir'; readonly path: string; readonly mode?: number; readonly uid?: number; readonly gid?: number }
  | { readonly type: 'file'; readonly path: string; readonly data: Buffer; readonly mode?: number; readonly uid?: number; readonly gid?: number }
  | { readonly type: 'symlink'; readonly path: string; readonly target: string; readonly uid?: number; readonly gid?: number };

const BLOCK = 512;

/** `a/b/` for directories, `a/b` otherwise: no leading `/` or `./`, as layer tars spell them. */
export function tarName(entry: TarEntry): string {
  const p = entry.path.replace(/^\/+/, '').replace(/\/+$/, '');
  if (!p || p.split('/').some((s) => s === '' || s === '.' || s === '..')) throw new Error(`tar: bad path "${entry.path}"`);
  return entry.type === 'dir' ? `${p}/` : p;
}

function octal(n: number, width: number): string {
  const s = n.toString(8);
  if (s.length > width - 1) throw new Error(`tar: ${n} does not fit ${width} octal digits`);
  return s.padStart(width - 1, '0') + '\0';
}

function header(name: string, typeflag: string, size: number, mode: number, uid: number, gid: number, mtime: number, linkname = ''): Buffer {
  const h = Buffer.alloc(BLOCK);
  const put = (s: string, off: number, len: number) => {
    const b = Buffer.from(s, 'utf8');
    if (b.length > len) throw new Error(`tar: "${s}" longer than ${len} bytes`);
    b.copy(h, off);
  };
  put(name, 0, 100);
  put(octal(mode & 0o7777, 8), 100, 8);
  put(octal(uid, 8), 108, 8);
  put(octal(gid, 8), 116, 8);
  put(octal(size, 12), 124, 12);
  put(octal(mtime, 12), 136, 12);
  h.fill(0x20, 148, 156); // checksum field counts as spaces
  put(typeflag, 156, 1);
  put(linkname, 157, 100);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  put(octal(0, 8), 329, 8);
  put(octal(0, 8), 337, 8);
  let sum = 0;
  for (const byte of h) sum += byte;
  put(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
  return h;
}

function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return Buffer.alloc(rest ? BLOCK - rest : 0);
}

/** A PAX extended header carrying `path` / `linkpath` that ustar cannot hold. */
function paxHeader(records: Record<string, string>, mtime: number): Buffer[] {
  let body = '';
  for (const [k, v] of Object.entries(records)) {
    const rest = ` ${k}=${v}\n`;
    let len = Buffer.byteLength(rest) + 1;
    while (String(len).length + Buffer.byteLength(rest) !== len) len++;
    body += `${len}${rest}`;
  }
  const data = Buffer.from(body, 'utf8');
  return [header('PaxHeader', 'x', data.length, 0o644, 0, 0, mtime), data, padding(data.length)];
}

function fits(s: string, len: number): boolean {
  return Buffer.byteLength(s) <= len && /^[\x20-\x7e]*$/.test(s);
}

/**
 * Writes a tar archive of `entries` sorted by name, every mtime `mtime` (seconds since the epoch),
 * ownership 0:0 unless an entry says otherwise. Duplicate paths are an error.
 */
export function writeTar(entries: readonly TarEntry[], mtime: number): Buffer {
  const named = entries.map((e) => ({ e, name: tarName(e) }));
  named.sort(by('name'));
  const out: Buffer[] = [];
  for (let i = 0; i < named.length; i++) {
    const { e, name } = named[i];
    if (i > 0 && named[i - 1].name.replace(/\/$/, '') === name.replace(/\/$/, '')) throw new Error(`tar: duplicate path "${name}"`);
    const uid = e.uid ?? 0;
    const gid = e.gid ?? 0;
    const link = e.type === 'symlink' ? e.target : '';
    const pax: Record<string, string> = {};
    if (!fits(name, 100)) pax.path = name;
    if (!fits(link, 100)) pax.linkpath = link;
    if (Object.keys(pax).length) out.push(...paxHeader(pax, mtime));
    const shortName = pax.path ? name.slice(-99).replace(/[^\x20-\x7e]/g, '_') : name;
    const shortLink = pax.linkpath ? '' : link;
    if (e.type === 'dir') out.push(header(shortName, '5', 0, e.mode ?? 0o755, uid, gid, mtime));
    else if (e.type === 'symlink') out.push(header(shortName, '2', 0, 0o777, uid, gid, mtime, shortLink));
    else out.push(header(shortName, '0', e.data.length, e.mode ?? 0o644, uid, gid, mtime), e.data, padding(e.data.length));
  }
  out.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(out);
}

/** The entries of a tar archive (ustar and PAX path/linkpath), for checks and tests. */
export interface TarListing {
  readonly name: string;
  readonly type: 'file' | 'dir' | 'symlink' | 'other';
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly mtime: number;
  readonly linkname: string;
  readonly data?: Buffer;
}

export function readTar(buf: Buffer, withData = false): TarListing[] {
  const out: TarListing[] = [];
  let off = 0;
  let pax: Record<string, string> = {};
  const str = (b: Buffer) => b.toString('utf8').replace(/\0.*$/s, '');
  const num = (b: Buffer) => parseInt(str(b).trim() || '0', 8);
  while (off + BLOCK <= buf.length) {
    const h = buf.subarray(off, off + BLOCK);
    if (h.every((x) => x === 0)) break;
    const size = num(h.subarray(124, 136));
    const flag = String.fromCharCode(h[156] || 0x30);
    const data = buf.subarray(off + BLOCK, off + BLOCK + size);
    off += BLOCK + size + (size % BLOCK ? BLOCK - (size % BLOCK) : 0);
    if (flag === 'x') {
      for (const rec of data.toString('utf8').split('\n')) {
        const m = /^\d+ ([^=]+)=(.*)$/s.exec(rec);
        if (m) pax[m[1]] = m[2];
      }
      continue;
    }
    const prefix = str(h.subarray(345, 500));
    const name = pax.path ?? (prefix ? `${prefix}/` : '') + str(h.subarray(0, 100));
    const linkname = pax.linkpath ?? str(h.subarray(157, 257));
    pax = {};
    out.push({
      name,
      type: flag === '0' ? 'file' : flag === '5' ? 'dir' : flag === '2' ? 'symlink' : 'other',
      mode: num(h.subarray(100, 108)),
      uid: num(h.subarray(108, 116)),
      gid: num(h.subarray(116, 124)),
      size,
      mtime: num(h.subarray(136, 148)),
      linkname,
      ...(withData ? { data: Buffer.from(data) } : {}),
    });
  }
  return out;
}
