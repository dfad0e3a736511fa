// Jest loads global setup modules outside its ESM transform; tsx loads the TypeScript.
import { tsImport } from 'tsx/esm/api';

export default async function globalSetup() {
  const { setup } = await tsImport('./global-setup.ts', import.meta.url);
  await setup();
}
