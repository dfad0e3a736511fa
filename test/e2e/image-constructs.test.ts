/**
 * Every controller construct deploys the platform-controllers image: by default
 * `platform-controllers:<package version>` (the tag `npm run image` builds), with an overridable
 * registry, and pinned by digest when given one. Add each new controller construct to CONTROLLERS.
 */
import { readFileSync } from 'node:fs';
import { Chart, Testing } from 'cdk8s';
import type { Construct } from 'constructs';
import { ConfigAggregator } from '../../constructs/config-aggregator/index.js';
import { SecretGenerator } from '../../constructs/secret-generator/index.js';
import { Wao } from '../../constructs/wao/index.js';
import { Konsumerator } from '../../constructs/konsumerator/index.js';
import type { ControllerImageProps } from '../../lib/k8s/index.js';
import { IMAGE_NAME } from '../../runtime/image/build.js';

const VERSION: string = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;

const CONTROLLERS: Record<string, (scope: Construct, image?: ControllerImageProps) => void> = {
  ConfigAggregator: (scope, image) => new ConfigAggregator(scope, 'c', { configmapName: 'agg', ...(image ? { image } : {}) }),
  SecretGenerator: (scope, image) => new SecretGenerator(scope, 'c', { ...(image ? { image } : {}) }),
  Wao: (scope, image) => new Wao(scope, 'c', { ...(image ? { image } : {}) }),
  Konsumerator: (scope, image) => new Konsumerator(scope, 'c', { ...(image ? { image } : {}) }),
};

function imagesOf(make: (scope: Construct, image?: ControllerImageProps) => void, image?: ControllerImageProps): string[] {
  const chart = new Chart(Testing.app(), 'chart', { namespace: 'ops' });
  make(chart, image);
  return chart
    .toJson()
    .filter((o: any) => o.spec?.template?.spec?.containers)
    .flatMap((o: any) => o.spec.template.spec.containers.map((c: any) => c.image));
}

const DIGEST = `sha256:${'ab'.repeat(32)}`;

describe.each(Object.entries(CONTROLLERS))('%s image', (_name, make) => {
  it('defaults to the image `npm run image` tags', () => {
    expect(imagesOf(make)).toEqual([`${IMAGE_NAME}:${VERSION}`]);
  });

  it('takes a registry and a tag', () => {
    expect(imagesOf(make, { registry: 'ghcr.io/acme/', tag: '1.2.3' })).toEqual(['ghcr.io/acme/platform-controllers:1.2.3']);
  });

  it('is pinned by a digest, with or without the @', () => {
    expect(imagesOf(make, { registry: 'ghcr.io/acme', digest: DIGEST })).toEqual([`ghcr.io/acme/platform-controllers@${DIGEST}`]);
    expect(imagesOf(make, { digest: `@${DIGEST}` })).toEqual([`platform-controllers@${DIGEST}`]);
  });

  it('rejects a malformed digest, naming the construct and the field', () => {
    expect(() => imagesOf(make, { digest: 'sha256:xyz' })).toThrow(/chart\/c: image\.digest: "sha256:xyz" is not a sha256 digest/);
  });
});
