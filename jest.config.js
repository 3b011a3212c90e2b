// Two projects: unit tests need nothing running; integration tests (*.int.test.ts) get the real local
// services (Kafka, MLflow, moto) from the global setup, or reuse ones already exported in the environment.
// tsconfig.json sets isolatedModules, so ts-jest only transpiles; `tsc --noEmit` type-checks once, in npm test.
const tsJest = ['ts-jest', { tsconfig: 'tsconfig.json' }];
// Some runtime dependencies ship ES modules only (hyparquet and its decompressors). Node 20 loads them with
// require(esm), but jest's module loader does not, so jest transpiles just those packages to CommonJS.
const esmOnly = ['hyparquet', 'hyparquet-compressors', 'hysnappy'];
const esmToCjs = ['ts-jest', { tsconfig: { allowJs: true, module: 'commonjs', target: 'ES2022', isolatedModules: true } }];
const common = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.tsx?$': tsJest,
    [`/node_modules/(${esmOnly.join('|')})/.+\\.js$`]: esmToCjs,
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnly.join('|')})/)`],
  moduleFileExtensions: ['ts', 'js', 'json'],
};
module.exports = {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: ['\\.int\\.test\\.ts$', '/node_modules/'],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/**/*.int.test.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};
