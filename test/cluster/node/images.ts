/**
 * Images the test node needs that no registry can give it here: the pod sandbox ("pause",
 * built by build-node.sh from node/pause.c) packed as an OCI archive with the image builder of
 * the platform-controllers image, so containerd imports it as `kind load` would.
 */
import { readFileSync } from 'node:fs';
import { archive, assembleImage, buildLayer, layoutFiles } from '../../../runtime/image/oci.js';

/** The reference of the sandbox image, as containerd's CRI config names it. */
export const PAUSE_IMAGE = { name: 'localhost/platform-constructs/pause', tag: '1' } as const;
export const PAUSE_REFERENCE = `${PAUSE_IMAGE.name}:${PAUSE_IMAGE.tag}`;

/** The OCI archive of the sandbox image: one layer with `/pause`, run as 65535 like upstream's. */
export function pauseArchive(pauseBinary: string): Buffer {
  const epoch = 0;
  const layer = buildLayer({ name: 'pause', entries: [{ type: 'file', path: 'pause', data: readFileSync(pauseBinary), mode: 0o755 }] }, epoch, 'gzip');
  const image = assembleImage({ epoch, user: '65535:65535', entrypoint: ['/pause'], env: [], workingDir: '/', labels: {}, layers: [layer] });
  return archive(layoutFiles(image, PAUSE_IMAGE.name, PAUSE_IMAGE.tag), epoch);
}
