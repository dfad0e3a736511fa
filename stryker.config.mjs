/**
 * Mutation testing of the module-output contract and the controller kit: `npm run mutation`
 * (not part of `npm test`). Survivors judged equivalent are listed in test/MUTATION.md.
 * While iterating: `npm run mutation -- --mutate runtime/kit/leader.ts` (incremental: only
 * changed mutants and tests run again; the state lives in reports/, which git ignores).
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  packageManager: 'npm',
  mutate: ['lib/contract/**/*.ts', 'runtime/kit/**/*.ts'],
  testRunner: 'jest',
  testRunnerNodeArgs: ['--experimental-vm-modules'],
  jest: {
    projectType: 'custom',
    configFile: 'jest.stryker.config.js',
    enableFindRelatedTests: false,
  },
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.stryker.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: 'perTest',
  concurrency: 2,
  timeoutMS: 3_000,
  timeoutFactor: 2,
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  thresholds: { high: 90, low: 80, break: null },
  ignorePatterns: ['build', 'dist', 'cdk8s.out', 'cdktf.out', 'reports', '.stryker-tmp', 'test/cluster/.cache'],
};
