// Packs the package once, before any test file of the `package` project runs (workers inherit
// the environment variable that names the tarball). Jest loads this outside its ESM transform.
import { tsImport } from 'tsx/esm/api';

export default async function globalSetup() {
  const { packedPackage } = await tsImport('./support.ts', import.meta.url);
  const t0 = Date.now();
  const packed = await packedPackage();
  process.stderr.write(`\npacked ${packed.file} (${packed.files.length} files, ${packed.size} bytes) in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
}
