/** The TypeScript program of the published sources, shared by the build and the API reference. */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The package entries, relative to the repository root. */
export const ENTRIES = ['index.ts', 'tf.ts'];

/** Compiler options of the published code: what tsconfig.json checks, plus emit. */
export function packageCompilerOptions(outDir: string): ts.CompilerOptions {
  const config = ts.readConfigFile(join(REPO_ROOT, 'tsconfig.json'), ts.sys.readFile);
  if (config.error) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, '\n'));
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, REPO_ROOT);
  return {
    ...options,
    noEmit: false,
    rootDir: REPO_ROOT,
    outDir,
    declaration: true,
    sourceMap: true,
    inlineSources: true, // maps are useful without shipping the TypeScript sources
    stripInternal: true,
    types: ['node'], // not jest: the published code must not depend on test globals
  };
}

/** The type-checked program of the published sources (the entries and what they import). */
export function packageProgram(outDir: string): ts.Program {
  return ts.createProgram(ENTRIES.map((e) => join(REPO_ROOT, e)), packageCompilerOptions(outDir));
}

