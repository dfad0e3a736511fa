/**
 * Checks on a built image, with the machine's own tools and no container runtime: unpack the
 * layers of an OCI layout into a root filesystem (GNU tar, which also checks our tar writer),
 * then, chrooted into it, let the image's own dynamic loader list what the runtime links
 * against (`ld.so --list`, which is what `ldd` runs): nothing may be missing.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { sha256 } from './fetch.js';
import { readTar } from './tar.js';

export interface UnpackedLayer {
  readonly digest: string;
  readonly mediaType: string;
  readonly entries: number;
}

function decompress(blob: Buffer, mediaType: string): Buffer {
  const cmd = mediaType.endsWith('+zstd') ? ['zstd', ['-d', '-c', '-q']] : mediaType.endsWith('+gzip') ? ['gzip', ['-d', '-c']] : undefined;
  if (!cmd) return blob;
  const r = spawnSync(cmd[0] as string, cmd[1] as string[], { input: blob, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${cmd[0]} -d failed: ${r.stderr?.toString()}`);
  return r.stdout;
}

/** The manifest and config of the (single) image of an OCI layout. */
export function readLayout(dir: string): { index: any; manifest: any; config: any; blob: (digest: string) => Buffer } {
  const blob = (digest: string) => {
    const data = readFileSync(join(dir, 'blobs', ...digest.split(':')));
    if (`sha256:${sha256(data)}` !== digest) throw new Error(`blob ${digest}: content does not match its digest`);
    return data;
  };
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
  if (index.manifests?.length !== 1) throw new Error(`${dir}/index.json: expected one manifest`);
  const manifest = JSON.parse(blob(index.manifests[0].digest).toString('utf8'));
  const config = JSON.parse(blob(manifest.config.digest).toString('utf8'));
  return { index, manifest, config, blob };
}

/**
 * Unpacks every layer in order into `rootfs` (as root: ownership and modes as in the tar), after
 * checking each layer's diff_id. Whiteouts are refused: this image has none.
 */
export function unpackImage(layoutDir: string, rootfs: string): UnpackedLayer[] {
  const { manifest, config, blob } = readLayout(layoutDir);
  mkdirSync(rootfs, { recursive: true });
  chmodSync(rootfs, 0o755); // the root directory, as runtimes make it (mkdtemp gives 0700)
  return manifest.layers.map((l: { digest: string; mediaType: string }, i: number) => {
    const tar = decompress(blob(l.digest), l.mediaType);
    if (`sha256:${sha256(tar)}` !== config.rootfs.diff_ids[i]) throw new Error(`layer ${l.digest}: diff_id mismatch`);
    const entries = readTar(tar);
    const wh = entries.find((e) => e.name.split('/').pop()!.startsWith('.wh.'));
    if (wh) throw new Error(`layer ${l.digest}: whiteout ${wh.name} not supported`);
    const asRoot = process.getuid?.() === 0;
    const r = spawnSync('tar', ['-x', '-p', '--numeric-owner', ...(asRoot ? ['--same-owner'] : ['--no-same-owner']), '-C', rootfs], {
      input: tar,
      maxBuffer: 1 << 20,
    });
    if (r.status !== 0) throw new Error(`tar -x of layer ${l.digest}: ${r.stderr.toString()}`);
    return { digest: l.digest, mediaType: l.mediaType, entries: entries.length };
  });
}

/** The absolute path of a host tool (also looked up in the sbin directories, which a user's PATH may lack). */
export function hostTool(name: string): string {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/local/sbin', '/usr/sbin', '/sbin', '/usr/bin', '/bin'];
  for (const d of dirs) if (d && existsSync(join(d, name))) return join(d, name);
  throw new Error(`\`${name}\` is not installed (util-linux / coreutils)`);
}

/** argv to run `argv` chrooted into `rootfs`: plain chroot as root, else in a user namespace. */
export function chrootArgv(rootfs: string, argv: readonly string[]): [string, string[]] {
  return process.getuid?.() === 0
    ? [hostTool('chroot'), [rootfs, ...argv]]
    : [hostTool('unshare'), ['--map-root-user', hostTool('chroot'), rootfs, ...argv]];
}

function runIn(rootfs: string, argv: readonly string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const [cmd, args] = chrootArgv(rootfs, argv);
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { PATH: '/nodejs/bin', ...env } });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Names that must not be in the image: shells, package managers. */
export const FORBIDDEN = ['sh', 'bash', 'dash', 'busybox', 'ash', 'zsh', 'apt', 'apt-get', 'dpkg', 'npm', 'npx', 'corepack'];

export function walk(root: string, rel = ''): string[] {
  const out: string[] = [];
  for (const d of readdirSync(join(root, rel), { withFileTypes: true })) {
    const p = `${rel}/${d.name}`;
    out.push(p);
    if (d.isDirectory() && !lstatSync(join(root, p)).isSymbolicLink()) out.push(...walk(root, p));
  }
  return out;
}

export interface RootfsReport {
  /** `soname => path` as the image's loader resolves them. */
  readonly libraries: string[];
  readonly nodeVersion: string;
}

export function verifyRootfs(rootfs: string): RootfsReport {
  const bad = walk(rootfs).filter((p) => FORBIDDEN.includes(p.split('/').pop()!) && !lstatSync(join(rootfs, p)).isDirectory());
  if (bad.length) throw new Error(`the image has a shell or package manager: ${bad.join(', ')}`);
  if (!existsSync(join(rootfs, 'lib64/ld-linux-x86-64.so.2'))) throw new Error('the image has no /lib64/ld-linux-x86-64.so.2');
  const ldd = runIn(rootfs, ['/lib64/ld-linux-x86-64.so.2', '--list', '/nodejs/bin/node']);
  const lines = ldd.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  const missing = lines.filter((l) => /not found/.test(l));
  if (ldd.status !== 0 || missing.length || !lines.length) {
    throw new Error(`ld.so --list /nodejs/bin/node in the image: exit ${ldd.status}\n${ldd.stdout}${ldd.stderr}`);
  }
  const version = runIn(rootfs, ['/nodejs/bin/node', '--version']);
  if (version.status !== 0) throw new Error(`node --version in the image: exit ${version.status}\n${version.stderr}`);
  return { libraries: lines, nodeVersion: version.stdout.trim() };
}
