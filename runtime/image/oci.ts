/**
 * OCI image layout and archive, written from layer tars: blobs named by sha256, a config with
 * the diff_ids, a manifest, index.json, and one tarball that is at once an `oci-archive`
 * (index.json, oci-layout, blobs/) and a `docker-archive` (manifest.json with RepoTags), as
 * `docker save` writes since Docker 25, so that `podman load`, `skopeo copy oci-archive:...`,
 * `docker load` and `kind load image-archive` (containerd import) all take it.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256 } from './fetch.js';
import { writeTar, type TarEntry } from './tar.js';

export type Compression = 'gzip' | 'zstd';

export const MEDIA = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: { gzip: 'application/vnd.oci.image.layer.v1.tar+gzip', zstd: 'application/vnd.oci.image.layer.v1.tar+zstd' },
} as const;

export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly annotations?: Record<string, string>;
  readonly platform?: { readonly architecture: string; readonly os: string };
}

/**
 * Compresses with the system's gzip (`-n`: no name, no time) or zstd. GNU gzip's output has been
 * the same for the same input and level for decades, so digests hold across machines, which
 * Node's zlib (Chromium's fork, with CPU-dependent code paths) does not promise.
 */
export function compress(data: Buffer, how: Compression, level?: number): Buffer {
  const [cmd, args] = how === 'gzip' ? ['gzip', ['-n', `-${level ?? 6}`, '-c']] : ['zstd', ['-q', `-${level ?? 19}`, '-T1', '-c']];
  const r = spawnSync(cmd, args, { input: data, maxBuffer: 1 << 30 });
  if (r.error) throw new Error(`${cmd}: ${r.error.message} (image build needs \`${cmd}\` on PATH)`);
  if (r.status !== 0) throw new Error(`${cmd} exited ${r.status}: ${r.stderr.toString()}`);
  return r.stdout;
}

export interface LayerSpec {
  /** What the layer holds, for the history and the size breakdown. */
  readonly name: string;
  readonly entries: readonly TarEntry[];
}

export interface BuiltLayer {
  readonly name: string;
  readonly descriptor: Descriptor;
  readonly diffId: string;
  readonly tar: Buffer;
  readonly blob: Buffer;
}

export function buildLayer(spec: LayerSpec, epoch: number, compression: Compression, level?: number): BuiltLayer {
  const tar = writeTar(spec.entries, epoch);
  const blob = compress(tar, compression, level);
  return {
    name: spec.name,
    tar,
    blob,
    diffId: `sha256:${sha256(tar)}`,
    descriptor: { mediaType: MEDIA.layer[compression], digest: `sha256:${sha256(blob)}`, size: blob.length },
  };
}

export interface ImageConfigInput {
  readonly epoch: number;
  readonly user: string;
  readonly entrypoint: readonly string[];
  readonly env: readonly string[];
  readonly workingDir: string;
  readonly labels: Record<string, string>;
  readonly layers: readonly BuiltLayer[];
}

export interface OciImage {
  readonly config: Buffer;
  readonly configDescriptor: Descriptor;
  readonly manifest: Buffer;
  readonly manifestDescriptor: Descriptor;
  readonly layers: readonly BuiltLayer[];
  /** `sha256:...` of the manifest: what a pinned reference names. */
  readonly digest: string;
}

function json(o: unknown): Buffer {
  return Buffer.from(JSON.stringify(o));
}

export function assembleImage(input: ImageConfigInput): OciImage {
  const created = new Date(input.epoch * 1000).toISOString().replace(/\.000Z$/, 'Z');
  const config = json({
    created,
    architecture: 'amd64',
    os: 'linux',
    config: {
      User: input.user,
      Env: input.env,
      Entrypoint: input.entrypoint,
      WorkingDir: input.workingDir,
      Labels: input.labels,
    },
    rootfs: { type: 'layers', diff_ids: input.layers.map((l) => l.diffId) },
    history: input.layers.map((l) => ({ created, created_by: `platform-constructs runtime/image: ${l.name}` })),
  });
  const configDescriptor: Descriptor = { mediaType: MEDIA.config, digest: `sha256:${sha256(config)}`, size: config.length };
  const manifest = json({
    schemaVersion: 2,
    mediaType: MEDIA.manifest,
    config: configDescriptor,
    layers: input.layers.map((l) => l.descriptor),
    annotations: {
      'org.opencontainers.image.created': created,
      ...Object.fromEntries(Object.entries(input.labels).filter(([k]) => k.startsWith('org.opencontainers.image.'))),
    },
  });
  const manifestDescriptor: Descriptor = { mediaType: MEDIA.manifest, digest: `sha256:${sha256(manifest)}`, size: manifest.length };
  return { config, configDescriptor, manifest, manifestDescriptor, layers: input.layers, digest: manifestDescriptor.digest };
}

/** The files of the OCI image layout (plus docker-archive's manifest.json), by path. */
export function layoutFiles(image: OciImage, name: string, tag: string): Map<string, Buffer> {
  const blob = (d: Descriptor) => `blobs/sha256/${d.digest.slice('sha256:'.length)}`;
  const files = new Map<string, Buffer>();
  files.set('oci-layout', json({ imageLayoutVersion: '1.0.0' }));
  files.set(
    'index.json',
    json({
      schemaVersion: 2,
      mediaType: MEDIA.index,
      manifests: [
        {
          ...image.manifestDescriptor,
          platform: { architecture: 'amd64', os: 'linux' },
          annotations: {
            // containerd (kind, Docker 25+) names the image from this one; skopeo and podman from ref.name.
            'io.containerd.image.name': dockerRef(name, tag),
            'org.opencontainers.image.ref.name': `${name}:${tag}`,
          },
        },
      ],
    }),
  );
  files.set(
    'manifest.json',
    json([{ Config: blob(image.configDescriptor), RepoTags: [`${name}:${tag}`], Layers: image.layers.map((l) => blob(l.descriptor)) }]),
  );
  files.set(blob(image.configDescriptor), image.config);
  files.set(blob(image.manifestDescriptor), image.manifest);
  for (const l of image.layers) files.set(blob(l.descriptor), l.blob);
  return files;
}

/** `docker.io/library/<name>:<tag>` for a name without a registry, as containerd spells it. */
export function dockerRef(name: string, tag: string): string {
  const first = name.split('/')[0];
  const hasRegistry = name.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasRegistry) return `${name}:${tag}`;
  return `docker.io/${name.includes('/') ? name : `library/${name}`}:${tag}`;
}

export function writeLayoutDir(dir: string, files: Map<string, Buffer>): void {
  for (const [p, data] of files) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), data);
  }
}

/** The archive: the same files in one tar, entries sorted, fixed time and ownership. */
export function archive(files: Map<string, Buffer>, epoch: number): Buffer {
  const entries: TarEntry[] = [
    { type: 'dir', path: 'blobs' },
    { type: 'dir', path: 'blobs/sha256' },
    ...[...files].map(([path, data]): TarEntry => ({ type: 'file', path, data })),
  ];
  return writeTar(entries, epoch);
}
