import { tsImport } from 'tsx/esm/api';

export default async function globalTeardown() {
  const { removePackedPackage } = await tsImport('./support.ts', import.meta.url);
  removePackedPackage();
}
