// Two projects: unit tests need nothing running; integration tests (*.int.test.ts) get the real local
// services (Kafka, MLflow, moto) from the global setup, or reuse ones already exported in the environment.
// tsconfig.json sets isolatedModules, so ts-jest only transpiles; `tsc --noEmit` type-checks once, in npm test.
const tsJest = ['ts-jest', { tsconfig: 'tsconfig.json' }];
// The AWS SDK warns once per process on Node < 22 that later SDK versions will need Node 22: the CLIs silence it
// (scripts/cli/main.ts) and the scorer image runs Node 22; the Node 20 leg of the tests would print it per test file.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
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
