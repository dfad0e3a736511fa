/**
 * Jest runs the TypeScript sources as native ESM (the Kubernetes client is ESM-only).
 * Three projects:
 * - unit: every test outside test/integration/ and test/package/, no cluster;
 * - package: the packed tarball installed into fresh cdk8s / cdktf / plain Node projects;
 * - integration: test/integration/, against one real control plane per run that the
 *   global setup starts (test/cluster/README.md) and the global teardown stops.
 */
const common = {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true }],
  },
};

export default {
  projects: [
    {
      ...common,
      displayName: 'unit',
      roots: ['<rootDir>/test'],
      testMatch: ['**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/integration/', '<rootDir>/test/package/'],
    },
    {
      ...common,
      displayName: 'package',
      roots: ['<rootDir>/test/package'],
      testMatch: ['**/*.test.ts'],
      globalSetup: '<rootDir>/test/package/jest-global-setup.mjs',
      globalTeardown: '<rootDir>/test/package/jest-global-teardown.mjs',
    },
    {
      ...common,
      displayName: 'integration',
      roots: ['<rootDir>/test/integration'],
      testMatch: ['**/*.test.ts'],
      globalSetup: '<rootDir>/test/cluster/jest-global-setup.mjs',
      globalTeardown: '<rootDir>/test/cluster/jest-global-teardown.mjs',
    },
  ],
};
