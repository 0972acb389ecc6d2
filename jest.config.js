/** Tests mirror the source folders; integration tests start real processes on loopback. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.tsx?$': ['@swc/jest'],
  },
  // The repository tests the agent from source; the packed tarballs are tested apart (test/package).
  moduleNameMapper: {
    '^@heapwatch/agent$': '<rootDir>/agent/src/index.ts',
    '^@heapwatch/agent/protocol$': '<rootDir>/agent/src/protocol/index.ts',
  },
  setupFilesAfterEnv: ['aws-cdk-lib/testhelpers/jest-autoclean'],
  testTimeout: 60_000,
};
