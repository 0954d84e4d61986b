/** Unit tests (pure logic, no processes) and integration tests (real FerretDB, NATS, services, fakes). */
const common = {
  testEnvironment: 'node',
  roots: ['<rootDir>/services', '<rootDir>/gateway', '<rootDir>/deploy'],
  modulePathIgnorePatterns: ['<rootDir>/.*/dist/'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json' }] },
  // Generated protobuf code imports siblings as "./x.js"; the sources are .ts.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
};

module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['**/test/**/*.test.ts'], testPathIgnorePatterns: ['\\.int\\.test\\.ts$'] },
    { ...common, displayName: 'integration', testMatch: ['**/test/**/*.int.test.ts'], slowTestThreshold: 30 },
  ],
  testTimeout: 60_000,
};
