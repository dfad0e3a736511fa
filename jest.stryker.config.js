/**
 * The Jest config of mutation runs (`npm run mutation`, stryker.config.mjs): only the unit tests
 * that exercise the mutated folders (lib/contract, runtime/kit), so that each mutant runs fast.
 */
export default {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true }],
  },
  roots: ['<rootDir>/test/unit'],
  testMatch: [
    '<rootDir>/test/unit/contract/**/*.test.ts',
    '<rootDir>/test/unit/kit/**/*.test.ts',
    '<rootDir>/test/unit/config-aggregator/controller.test.ts',
  ],
};
