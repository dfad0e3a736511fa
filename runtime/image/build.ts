/**
 * `npm run image`: builds the platform-controllers image from files, without Docker or a
 * registry (the way ko and distroless do): the Node.js runtime from the npm registry, shared
 * libraries from Debian packages, the esbuild bundle of runtime/main.ts. Writes to dist/image/:
 *
 *   oci/                           OCI image layout
 *   platform-controllers.oci.tar   oci-archive + docker-archive in one tarball
 *   sbom.cdx.json                  CycloneDX SBOM (also in the image, /app/sbom.cdx.json)
 *   build-info.json                reference, digest, sizes, inputs
 *
 * Reproducible: every time is the commit's time (or $SOURCE_DATE_EPOCH), entries are sorted,
 * ownership fixed, inputs pinned by hash in lock.json; the same commit gives the same digest.
 *
 *   npm run image [-- --out DIR] [--compression gzip|zstd] [--registry R] [--tag T] [--no-verify] [--update-lock]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BUNDLE_PATH, MONITOR_BUNDLE_PATH, NODE_PATH, REPO_ROOT, bundleControllers, bundleMonitor, thirdPartyLicenses, type Bundle } from './bundle.js';
import { LOCK_FILE, debPackages, extractFromTgz, nodeTarball, readLock, sha256, unpackDeb, updatedLock, type ImageLock } from './fetch.js';
import { archive, assembleImage, buildLayer, layoutFiles, writeLayoutDir, type BuiltLayer, type Compression } from './oci.js';
import { NONROOT, baseLayer, withParents, type UnpackedDeb } from './rootfs.js';
import { cycloneDx } from './sbom.js';
import type { TarEntry } from './tar.js';
import { verifyRootfs, unpackImage } from './verify.js';

export const IMAGE_NAME = 'platform-controllers';
export const DEFAULT_OUT = join(REPO_ROOT, 'dist/image');
export const ARCHIVE_NAME = 'platform-controllers.oci.tar';

export interface BuildOptions {
  /** Output directory. @default dist/image */
  readonly out?: string;
  /** @default 'gzip' */
  readonly compression?: Compression;
  /** Compression level. @default 6 for gzip, 19 for zstd */
  readonly level?: number;
  /** Registry prefix of the printed reference, e.g. `ghcr.io/acme`. @default none */
  readonly registry?: string;
  /** @default the package version */
  readonly tag?: string;
  /** Unpack the built image and prove its libraries resolve (chroot). @default true */
  readonly verify?: boolean;
  /** Source revision of the labels and SBOM. @default the commit (sourceRevision()) */
  readonly revision?: string;
  /** Every timestamp, seconds since the epoch. @default $SOURCE_DATE_EPOCH, else the commit's time */
  readonly epoch?: number;
  /** The bundle, when the caller made it already. */
  readonly bundle?: Bundle;
  readonly log?: (msg: string) => void;
}

export interface LayerInfo {
  readonly name: string;
  readonly digest: string;
  readonly compressedBytes: number;
  readonly uncompressedBytes: number;
  /** The largest files of the layer, for the size breakdown. */
  readonly largest: ReadonlyArray<{ readonly path: string; readonly bytes: number }>;
}

export interface BuildInfo {
  readonly name: string;
  readonly tag: string;
  /** `<name>:<tag>` */
  readonly reference: string;
  /** `sha256:...` of the manifest. */
  readonly digest: string;
  /** `<name>@sha256:...` */
  readonly pinned: string;
  readonly revision: string;
  readonly epoch: number;
  readonly compression: Compression;
  /** Hash of every input; a build with the same key has the same digest. */
  readonly key: string;
  readonly archiveBytes: number;
  readonly layers: readonly LayerInfo[];
  readonly node: string;
  readonly sonames: readonly string[];
  readonly bundleBytes: number;
}

function git(args: string[]): string | undefined {
  const r = spawnSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** The commit, `-dirty` when what goes into the image differs from it. */
export function sourceRevision(): string {
  const head = git(['rev-parse', 'HEAD']) ?? 'unknown';
  const dirty = git(['status', '--porcelain', '--', 'runtime', 'package.json', 'package-lock.json']);
  return dirty ? `${head}-dirty` : head;
}

/** `$SOURCE_DATE_EPOCH`, else the commit's time: every timestamp in the image. */
export function sourceEpoch(): number {
  const env = process.env.SOURCE_DATE_EPOCH;
  if (env && /^\d+$/.test(env)) return Number(env);
  return Number(git(['log', '-1', '--format=%ct']) ?? 0);
}

function packageJson(): { version: string; license: string; repository?: string | { url?: string } } {
  return JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'));
}

/** The hash of every input of a build: what decides its digest. */
export function buildKey(
  bundle: Bundle,
  opts: { compression: Compression; level?: number; tag: string; revision: string; epoch: number },
): string {
  const builder = readdirSync(new URL('.', import.meta.url))
    .filter((f) => f.endsWith('.ts') || f.endsWith('.json'))
    .sort()
    .map((f) => `${f}:${sha256(readFileSync(new URL(f, import.meta.url)))}`);
  return sha256(
    JSON.stringify({ builder, bundle: sha256(bundle.code), ...opts }),
  );
}

function spdxAnd(ids: Iterable<string>): string {
  const uniq = [...new Set([...ids].filter((l) => l && l !== 'NOASSERTION'))].sort();
  return uniq.map((l) => (/\s(OR|AND)\s/.test(l) && uniq.length > 1 ? `(${l})` : l)).join(' AND ');
}

function largest(entries: readonly TarEntry[], n = 3): Array<{ path: string; bytes: number }> {
  return entries
    .flatMap((e) => (e.type === 'file' ? [{ path: `/${e.path.replace(/^\/+/, '')}`, bytes: e.data.length }] : []))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, n);
}

export async function buildImage(opts: BuildOptions = {}): Promise<BuildInfo> {
  const log = opts.log ?? ((m: string) => process.stderr.write(`image: ${m}\n`));
  const out = resolve(opts.out ?? DEFAULT_OUT);
  const compression = opts.compression ?? 'gzip';
  const pkg = packageJson();
  const tag = opts.tag ?? pkg.version;
  const lock = readLock();
  const epoch = opts.epoch ?? sourceEpoch();
  const revision = opts.revision ?? sourceRevision();
  const t0 = Date.now();

  const bundle = opts.bundle ?? (await bundleControllers());
  const monitor = await bundleMonitor();
  const key = buildKey(bundle, { compression, level: opts.level, tag, revision, epoch });
  log(`bundle: ${bundle.code.length} bytes, ${bundle.packages.length} npm packages`);

  const work = mkdtempSync(join(tmpdir(), 'platform-controllers-image-'));
  try {
    // The runtime: the official binary, symbols stripped (126 -> 108 MB; code untouched).
    const tgz = nodeTarball(lock, log);
    const original = extractFromTgz(tgz, 'bin/node');
    const nodeFile = join(work, 'node');
    writeFileSync(nodeFile, original, { mode: 0o755 });
    execFileSync('strip', ['--strip-all', nodeFile]);
    const stripped = readFileSync(nodeFile);
    const nodeLicense = extractFromTgz(tgz, 'LICENSE');

    const debFiles = debPackages(lock, log);
    const debs: UnpackedDeb[] = lock.debian.packages.map((p) => {
      const { root, control } = unpackDeb(debFiles.get(p.name)!, join(work, 'debs', p.name));
      return { name: p.name, root, control };
    });
    const base = baseLayer({ nodeBinary: nodeFile, debs, nodeVersion: lock.node.version });

    const sbom = cycloneDx({
      name: IMAGE_NAME,
      version: pkg.version,
      license: pkg.license,
      revision,
      epoch,
      packages: bundle.packages,
      lock,
      nodeSha256: { original: sha256(original), stripped: sha256(stripped) },
    });
    const sbomJson = Buffer.from(`${JSON.stringify(sbom, null, 2)}\n`);

    const specs = [
      { name: `base: ${lock.debian.packages.map((p) => `${p.name} ${p.version}`).join(', ')}; CA certificates; nonroot`, entries: base.entries },
      {
        name: `Node.js ${lock.node.version} (${lock.node.package}, stripped)`,
        entries: withParents([
          { type: 'file', path: NODE_PATH, data: stripped, mode: 0o755 },
          { type: 'file', path: '/nodejs/LICENSE', data: nodeLicense },
        ]),
      },
      {
        name: `platform-controllers ${pkg.version} bundle, SBOM, licenses`,
        entries: withParents([
          { type: 'file', path: BUNDLE_PATH, data: bundle.code, mode: 0o755 },
          { type: 'file', path: MONITOR_BUNDLE_PATH, data: monitor, mode: 0o755 },
          { type: 'file', path: '/app/sbom.cdx.json', data: sbomJson },
          { type: 'file', path: '/app/THIRD_PARTY_LICENSES.txt', data: Buffer.from(thirdPartyLicenses(bundle.packages)) },
        ]),
      },
    ];
    log(`layers: compressing with ${compression}`);
    const layers: BuiltLayer[] = specs.map((s) => buildLayer(s, epoch, compression, opts.level));

    // The repository: package.json's, else the origin remote if it is a URL (a clone of a local path is not a source).
    const remote = git(['remote', 'get-url', 'origin']);
    const source =
      typeof pkg.repository === 'string'
        ? pkg.repository
        : (pkg.repository?.url ?? (remote && /^(https?:\/\/|ssh:\/\/|git@)/.test(remote) ? remote : undefined));
    const labels: Record<string, string> = {
      'org.opencontainers.image.title': IMAGE_NAME,
      'org.opencontainers.image.description': 'platform-constructs controllers: platform-controllers <controller> [flags]',
      'org.opencontainers.image.version': pkg.version,
      'org.opencontainers.image.revision': revision,
      ...(source ? { 'org.opencontainers.image.source': source } : {}),
      'org.opencontainers.image.licenses': spdxAnd([
        pkg.license,
        lock.node.license,
        ...bundle.packages.map((p) => p.license),
        ...lock.debian.packages.map((p) => p.license),
      ]),
      'org.opencontainers.image.base.name': 'scratch',
      'io.platform-constructs.node.version': lock.node.version,
    };
    const image = assembleImage({
      epoch,
      user: `${NONROOT}:${NONROOT}`,
      entrypoint: [NODE_PATH, BUNDLE_PATH],
      env: [
        'PATH=/nodejs/bin:/usr/local/bin:/usr/bin:/bin',
        'NODE_ENV=production',
        'SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt',
        'HOME=/home/nonroot',
      ],
      workingDir: '/home/nonroot',
      labels,
      layers,
    });
    const files = layoutFiles(image, IMAGE_NAME, tag);
    const tarball = archive(files, epoch);

    // Write next to the output and swap it in whole, so a reader never sees half a build.
    const staging = `${out}.tmp-${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    writeLayoutDir(join(staging, 'oci'), files);
    writeFileSync(join(staging, ARCHIVE_NAME), tarball);
    writeFileSync(join(staging, 'sbom.cdx.json'), sbomJson);
    const name = opts.registry ? `${opts.registry.replace(/\/+$/, '')}/${IMAGE_NAME}` : IMAGE_NAME;
    const info: BuildInfo = {
      name,
      tag,
      reference: `${name}:${tag}`,
      digest: image.digest,
      pinned: `${name}@${image.digest}`,
      revision,
      epoch,
      compression,
      key,
      archiveBytes: tarball.length,
      layers: layers.map((l, i) => ({
        name: l.name,
        digest: l.descriptor.digest,
        compressedBytes: l.blob.length,
        uncompressedBytes: l.tar.length,
        largest: largest(specs[i].entries),
      })),
      node: lock.node.version,
      sonames: base.sonames,
      bundleBytes: bundle.code.length,
    };
    writeFileSync(join(staging, 'build-info.json'), `${JSON.stringify(info, null, 2)}\n`);

    if (opts.verify ?? true) {
      const rootfs = join(work, 'rootfs');
      unpackImage(join(staging, 'oci'), rootfs);
      const report = verifyRootfs(rootfs);
      log(`verified: ${report.libraries.length} libraries resolve in the rootfs, node ${report.nodeVersion} runs, no shell`);
    }
    rmSync(out, { recursive: true, force: true });
    mkdirSync(join(out, '..'), { recursive: true });
    renameSync(staging, out);
    log(`built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return info;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * `--app-only DIR`: the files the image adds to a base that already has glibc, libstdc++, CA
 * certificates and nonroot (what runtime/Dockerfile copies onto distroless/cc):
 * DIR/nodejs/bin/node (stripped), DIR/nodejs/LICENSE, DIR/app/{platform-controllers.mjs,
 * sbom.cdx.json, THIRD_PARTY_LICENSES.txt}. Same bundle bytes as the image's.
 */
export async function writeAppFiles(dir: string, log: (m: string) => void = () => {}): Promise<void> {
  const pkg = packageJson();
  const lock = readLock();
  const bundle = await bundleControllers();
  const tgz = nodeTarball(lock, log);
  const original = extractFromTgz(tgz, 'bin/node');
  mkdirSync(join(dir, 'nodejs/bin'), { recursive: true });
  mkdirSync(join(dir, 'app'), { recursive: true });
  const nodeFile = join(dir, 'nodejs/bin/node');
  writeFileSync(nodeFile, original, { mode: 0o755 });
  execFileSync('strip', ['--strip-all', nodeFile]);
  writeFileSync(join(dir, 'nodejs/LICENSE'), extractFromTgz(tgz, 'LICENSE'));
  writeFileSync(join(dir, 'app/platform-controllers.mjs'), bundle.code, { mode: 0o755 });
  writeFileSync(join(dir, MONITOR_BUNDLE_PATH.slice(1)), await bundleMonitor(), { mode: 0o755 });
  writeFileSync(join(dir, 'app/THIRD_PARTY_LICENSES.txt'), thirdPartyLicenses(bundle.packages));
  const sbom = cycloneDx({
    name: IMAGE_NAME,
    version: pkg.version,
    license: pkg.license,
    revision: process.env.REVISION || sourceRevision(),
    epoch: sourceEpoch(),
    packages: bundle.packages,
    lock,
    nodeSha256: { original: sha256(original), stripped: sha256(readFileSync(nodeFile)) },
    withDebian: false,
  });
  writeFileSync(join(dir, 'app/sbom.cdx.json'), `${JSON.stringify(sbom, null, 2)}\n`);
}

/** The build info of `out`, if a build is there. */
export function readBuildInfo(out = DEFAULT_OUT): BuildInfo | undefined {
  const file = join(out, 'build-info.json');
  if (!existsSync(file) || !existsSync(join(out, ARCHIVE_NAME))) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as BuildInfo;
}

/**
 * The image of the current sources in `out`: reused when its inputs (bundle, builder, lock,
 * commit) are unchanged, built otherwise. What the tests and the benchmark call.
 */
export async function ensureImage(opts: BuildOptions = {}): Promise<{ info: BuildInfo; built: boolean }> {
  const out = resolve(opts.out ?? DEFAULT_OUT);
  const pkg = packageJson();
  const bundle = opts.bundle ?? (await bundleControllers());
  const key = buildKey(bundle, {
    compression: opts.compression ?? 'gzip',
    level: opts.level,
    tag: opts.tag ?? pkg.version,
    revision: opts.revision ?? sourceRevision(),
    epoch: opts.epoch ?? sourceEpoch(),
  });
  const have = readBuildInfo(out);
  if (have && have.key === key) return { info: have, built: false };
  return { info: await buildImage({ ...opts, out, bundle }), built: true };
}

function parseArgs(argv: string[]): BuildOptions & { updateLock?: boolean; appOnly?: string } {
  const o: Record<string, unknown> = {};
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--out': o.out = value(); break;
      case '--compression': o.compression = value(); break;
      case '--level': o.level = Number(value()); break;
      case '--registry': o.registry = value(); break;
      case '--tag': o.tag = value(); break;
      case '--no-verify': o.verify = false; break;
      case '--update-lock': o.updateLock = true; break;
      case '--app-only': o.appOnly = value(); break;
      default: throw new Error(`unknown flag ${argv[i]}`);
    }
  }
  if (o.compression !== undefined && o.compression !== 'gzip' && o.compression !== 'zstd') throw new Error('--compression: gzip or zstd');
  return o as BuildOptions & { updateLock?: boolean; appOnly?: string };
}

function mib(n: number): string {
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

async function cli(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.updateLock) {
    const next: ImageLock = updatedLock(readLock());
    writeFileSync(LOCK_FILE, `${JSON.stringify(next, null, 2)}\n`);
    process.stderr.write(`image: ${LOCK_FILE.pathname} updated (node ${next.node.version})\n`);
  }
  if (args.appOnly) {
    await writeAppFiles(resolve(args.appOnly), (m) => process.stderr.write(`image: ${m}\n`));
    return;
  }
  const info = await buildImage(args);
  const out = resolve(args.out ?? DEFAULT_OUT);
  const lines = [
    `archive   ${join(out, ARCHIVE_NAME)} (${mib(info.archiveBytes)})`,
    `layout    ${join(out, 'oci')}`,
    `sbom      ${join(out, 'sbom.cdx.json')}`,
    ...info.layers.map((l) => `layer     ${mib(l.compressedBytes).padStart(9)} (${mib(l.uncompressedBytes)} unpacked)  ${l.name}`),
    `reference ${info.reference}`,
    `digest    ${info.digest}`,
    `pin       ${info.pinned}`,
    '',
    'Load it:  podman load -i ARCHIVE | docker load -i ARCHIVE | kind load image-archive ARCHIVE',
    `Use it:   new ConfigAggregator(chart, 'agg', { ..., image: { digest: '${info.digest}' } })`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  cli().catch((err) => {
    process.stderr.write(`image: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}

