/**
 * The files of the image, layer by layer, distroless-style: no shell, no package manager, only
 * the shared libraries the Node.js binary links against (its ELF closure, taken from Debian
 * packages), CA certificates, `nonroot` (65532) in /etc/passwd and /etc/group, the runtime and
 * the bundle.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { posix } from 'node:path';
import { join } from 'node:path';
import type { TarEntry } from './tar.js';

export const NONROOT = 65532;

/** Where the dynamic loader looks, in the order it does (Debian multiarch, before and after usrmerge). */
const LIB_DIRS = ['lib/x86_64-linux-gnu', 'usr/lib/x86_64-linux-gnu', 'lib64', 'usr/lib64'];

export const PASSWD = [
  'root:x:0:0:root:/root:/sbin/nologin',
  'nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin',
  `nonroot:x:${NONROOT}:${NONROOT}:nonroot:/home/nonroot:/sbin/nologin`,
  '',
].join('\n');
export const GROUP = ['root:x:0:', 'nobody:x:65534:', `nonroot:x:${NONROOT}:`, ''].join('\n');
export const NSSWITCH = ['passwd: files', 'group: files', 'shadow: files', 'hosts: files dns', ''].join('\n');

/** The NEEDED entries and the interpreter of an ELF file (readelf, from binutils). */
export function elfDeps(file: string): { needed: string[]; interpreter?: string } {
  const dyn = execFileSync('readelf', ['-d', '-W', file], { encoding: 'utf8' });
  const needed = [...dyn.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
  const prog = execFileSync('readelf', ['-l', '-W', file], { encoding: 'utf8' });
  const interpreter = /Requesting program interpreter: ([^\]]+)\]/.exec(prog)?.[1];
  return { needed, interpreter };
}

/** One unpacked Debian package. */
export interface UnpackedDeb {
  readonly name: string;
  readonly root: string;
  readonly control: string;
}

function findLib(debs: readonly UnpackedDeb[], soname: string): { deb: UnpackedDeb; path: string } | undefined {
  for (const dir of LIB_DIRS) {
    for (const deb of debs) {
      const p = `${dir}/${soname}`;
      if (existsSync(join(deb.root, p)) || isSymlink(join(deb.root, p))) return { deb, path: p };
    }
  }
  return undefined;
}

function isSymlink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

/**
 * The libraries `binary` needs, transitively, as tar entries (symlinks kept as symlinks, with
 * their targets). Throws naming what no package provides.
 */
export function libraryClosure(binary: string, debs: readonly UnpackedDeb[]): { entries: TarEntry[]; sonames: string[] } {
  const entries = new Map<string, TarEntry>();
  const seen = new Set<string>();
  const queue: string[] = [];
  const { needed, interpreter } = elfDeps(binary);
  queue.push(...needed);
  const add = (deb: UnpackedDeb, rel: string): string => {
    // Follow a chain of symlinks inside the package, adding each link and the final file.
    let cur = rel;
    for (let hops = 0; hops < 10; hops++) {
      const abs = join(deb.root, cur);
      if (isSymlink(abs)) {
        const target = readlinkSync(abs);
        entries.set(cur, { type: 'symlink', path: cur, target });
        cur = posix.normalize(target.startsWith('/') ? target.slice(1) : posix.join(posix.dirname(cur), target));
        continue;
      }
      const st = lstatSync(abs);
      entries.set(cur, { type: 'file', path: cur, data: readFileSync(abs), mode: st.mode & 0o7777 });
      return abs;
    }
    throw new Error(`${rel}: too many symlinks`);
  };
  if (interpreter) {
    const rel = interpreter.replace(/^\//, '');
    const deb = debs.find((d) => existsSync(join(d.root, rel)) || isSymlink(join(d.root, rel)));
    if (!deb) throw new Error(`no package provides the ELF interpreter ${interpreter}`);
    add(deb, rel);
  }
  while (queue.length) {
    const soname = queue.shift()!;
    if (seen.has(soname)) continue;
    seen.add(soname);
    const found = findLib(debs, soname);
    if (!found) throw new Error(`no Debian package of the lock provides ${soname} (needed by ${binary})`);
    const file = add(found.deb, found.path);
    queue.push(...elfDeps(file).needed);
  }
  return { entries: [...entries.values()], sonames: [...seen].sort() };
}

/** /etc/ssl/certs/ca-certificates.crt as update-ca-certificates would write it (certificates sorted by name). */
export function caBundle(caDeb: UnpackedDeb): Buffer {
  const dir = join(caDeb.root, 'usr/share/ca-certificates');
  const files: string[] = [];
  for (const sub of readdirSync(dir).sort()) {
    for (const f of readdirSync(join(dir, sub)).sort()) if (f.endsWith('.crt')) files.push(join(dir, sub, f));
  }
  if (files.length < 50) throw new Error(`ca-certificates: only ${files.length} certificates found in ${dir}`);
  return Buffer.concat(files.map((f) => {
    const pem = readFileSync(f, 'utf8');
    return Buffer.from(pem.endsWith('\n') ? pem : `${pem}\n`);
  }));
}

export function osRelease(nodeVersion: string): string {
  return [
    'PRETTY_NAME="platform-controllers (distroless-style, Debian 12 libraries)"',
    'NAME="Debian GNU/Linux"',
    'ID=debian',
    'VERSION_ID="12"',
    'VERSION_CODENAME=bookworm',
    `PLATFORM_CONTROLLERS_NODE="${nodeVersion}"`,
    '',
  ].join('\n');
}

/** The base layer: libraries, certificates, users, metadata for scanners, /tmp and the home of nonroot. */
export function baseLayer(opts: { nodeBinary: string; debs: readonly UnpackedDeb[]; nodeVersion: string }): {
  entries: TarEntry[];
  sonames: string[];
} {
  const { entries: libs, sonames } = libraryClosure(opts.nodeBinary, opts.debs);
  const ca = opts.debs.find((d) => d.name === 'ca-certificates');
  if (!ca) throw new Error('the lock has no ca-certificates package');
  const entries: TarEntry[] = [
    ...libs,
    { type: 'file', path: 'etc/passwd', data: Buffer.from(PASSWD) },
    { type: 'file', path: 'etc/group', data: Buffer.from(GROUP) },
    { type: 'file', path: 'etc/nsswitch.conf', data: Buffer.from(NSSWITCH) },
    { type: 'file', path: 'etc/os-release', data: Buffer.from(osRelease(opts.nodeVersion)) },
    { type: 'file', path: 'etc/ssl/certs/ca-certificates.crt', data: caBundle(ca) },
    { type: 'dir', path: 'home/nonroot', mode: 0o700, uid: NONROOT, gid: NONROOT },
    { type: 'dir', path: 'tmp', mode: 0o1777 },
  ];
  for (const deb of opts.debs) {
    const copyright = join(deb.root, 'usr/share/doc', deb.name, 'copyright');
    if (existsSync(copyright)) entries.push({ type: 'file', path: `usr/share/doc/${deb.name}/copyright`, data: readFileSync(copyright) });
    // Like distroless: one control stanza per package, so that scanners know the library versions.
    entries.push({ type: 'file', path: `var/lib/dpkg/status.d/${deb.name}`, data: Buffer.from(`${deb.control.trimEnd()}\nStatus: install ok installed\n`) });
  }
  return { entries: withParents(entries), sonames };
}

/** Adds the missing parent directories (0755, root) of every entry. */
export function withParents(entries: readonly TarEntry[]): TarEntry[] {
  const have = new Set(entries.map((e) => e.path.replace(/^\/+|\/+$/g, '')));
  const out = [...entries];
  for (const e of entries) {
    let dir = posix.dirname(e.path.replace(/^\/+|\/+$/g, ''));
    while (dir !== '.' && dir !== '/' && !have.has(dir)) {
      have.add(dir);
      out.push({ type: 'dir', path: dir });
      dir = posix.dirname(dir);
    }
  }
  return out;
}
