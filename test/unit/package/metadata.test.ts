/**
 * What the package says of itself stays true: the version constant the constructs read equals
 * package.json's, the changelog has a section for it, and API.md matches the TSDoc.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_VERSION } from '../../../lib/k8s/index.js';
import { checkApiReference } from '../../../scripts/api-reference.js';
import { packageProgram, REPO_ROOT } from '../../../scripts/package-program.js';

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };

describe('package metadata', () => {
  it('PACKAGE_VERSION is package.json version (npm version rewrites it)', () => {
    expect(PACKAGE_VERSION).toBe(pkg.version);
    expect(JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).scripts.version).toContain('scripts/sync-version.ts');
  });

  it('CHANGELOG.md has a section for the version', () => {
    const changelog = readFileSync(join(REPO_ROOT, 'CHANGELOG.md'), 'utf8');
    expect(changelog).toMatch(new RegExp(`^## \\[${pkg.version.replace(/\./g, '\\.')}\\]`, 'm'));
  });

  it('API.md is the reference the TSDoc gives (npm run docs rewrites it)', () => {
    expect(() => checkApiReference(packageProgram(join(REPO_ROOT, 'build', 'esm')))).not.toThrow();
  }, 60_000);
});
