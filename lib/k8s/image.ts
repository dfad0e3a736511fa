import { describeValue, isPlainObject, ValidationError } from './validation.js';
import { checkImage, ensure, IMAGE_TAG, imageReferenceReason } from './validators.js';
import { PACKAGE_VERSION } from './version.js';

export const CONTROLLERS_IMAGE_NAME = 'platform-controllers';

/** Where the platform-controllers image comes from. */
export interface ControllerImageProps {
  /** Registry and path prefix, e.g. `ghcr.io/acme`. @default none (a local image name) */
  readonly registry?: string;
  /** Tag. @default the package version */
  readonly tag?: string;
  /** A digest (`sha256:<64 hex>`) pinning the exact image; wins over the tag when given. @default none */
  readonly digest?: string;
  /** A complete image reference; overrides every other field. @default none */
  readonly reference?: string;
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;

/**
 * Resolves the image reference of the controllers. Errors are {@link ValidationError}s of `source`
 * (the construct path) naming the bad field under `field` (`image.digest`). The two-argument form
 * takes `'<source>: <field>'` in one string.
 */
export function controllerImage(props: ControllerImageProps = {}, source = 'image', field?: string): string {
  if (field === undefined) {
    const cut = source.lastIndexOf(': ');
    [source, field] = cut < 0 ? ['controllerImage', source] : [source.slice(0, cut), source.slice(cut + 2)];
  }
  if (!isPlainObject(props as unknown)) throw new ValidationError(source, field, `must be an object of registry, tag, digest or reference, not ${describeValue(props)}`, props);
  for (const key of ['registry', 'tag', 'digest', 'reference'] as const) {
    const value: unknown = props[key];
    if (value !== undefined && typeof value !== 'string') throw new ValidationError(source, `${field}.${key}`, `must be a string, not ${describeValue(value)}`, value);
  }
  if (props.reference !== undefined) return ensure(source, `${field}.reference`, props.reference, imageReferenceReason(props.reference));
  const name = props.registry ? `${props.registry.replace(/\/+$/, '')}/${CONTROLLERS_IMAGE_NAME}` : CONTROLLERS_IMAGE_NAME;
  if (props.digest !== undefined) {
    const digest = props.digest.startsWith('@') ? props.digest.slice(1) : props.digest;
    if (!DIGEST.test(digest)) {
      throw new ValidationError(source, `${field}.digest`, `"${props.digest}" is not a sha256 digest (sha256:<64 lowercase hex>)`, props.digest);
    }
    return checkImage(source, `${field}.registry`, `${name}@${digest}`);
  }
  const tag = props.tag ?? PACKAGE_VERSION;
  if (!IMAGE_TAG.test(tag)) throw new ValidationError(source, `${field}.tag`, `"${tag}" is not a valid image tag`, tag);
  return checkImage(source, `${field}.registry`, `${name}:${tag}`);
}
