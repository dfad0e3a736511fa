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

/** Resolves the image reference of the controllers; errors name the bad field. */
export function controllerImage(props: ControllerImageProps = {}, source = 'image'): string {
  if (props.reference !== undefined) {
    if (!props.reference || /\s/.test(props.reference)) {
      throw new Error(`${source}.reference: "${props.reference}" is not an image reference`);
    }
    return props.reference;
  }
  const name = props.registry ? `${props.registry.replace(/\/+$/, '')}/${CONTROLLERS_IMAGE_NAME}` : CONTROLLERS_IMAGE_NAME;
  if (props.digest !== undefined) {
    const digest = props.digest.startsWith('@') ? props.digest.slice(1) : props.digest;
    if (!DIGEST.test(digest)) {
      throw new Error(`${source}.digest: "${props.digest}" is not a sha256 digest (sha256:<64 lowercase hex>)`);
    }
    return `${name}@${digest}`;
  }
  const tag = props.tag ?? PACKAGE_VERSION;
  if (!/^[\w][\w.-]{0,127}$/.test(tag)) throw new Error(`${source}.tag: "${tag}" is not a valid image tag`);
  return `${name}:${tag}`;
}
