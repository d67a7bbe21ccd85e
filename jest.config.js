// Nest 12 and a few of its dependencies ship as ES modules. The service itself compiles to
// CommonJS and loads them through Node's require(esm); Jest's own module loader cannot do that
// on Node 20, so those packages are transpiled to CommonJS for the tests only.
const esmPackages = [
  '@nestjs',
  'file-type',
  'strtok3',
  'token-types',
  'peek-readable',
  'uint8array-extras',
  '@tokenizer',
  // Required by @fastify/static (the docs and the queue board), wherever npm places it.
  '(?:@fastify/static/node_modules/)?content-disposition',
];

const transform = {
  '^.+\\.ts$': [
    'ts-jest',
    {
      tsconfig: {
        isolatedModules: true,
        module: 'commonjs',
        moduleResolution: 'node10',
        ignoreDeprecations: '6.0',
      },
    },
  ],
  '^.+\\.js$': [
    'babel-jest',
    {
      babelrc: false,
      configFile: false,
      plugins: [
        `${__dirname}/test/support/babel-plugin-import-meta.js`,
        '@babel/plugin-transform-dynamic-import',
        '@babel/plugin-transform-modules-commonjs',
      ],
    },
  ],
};

const shared = {
  testEnvironment: 'node',
  rootDir: __dirname,
  transform,
  // The service's one lazy import of the emulator names its compiled entry (`index.js`), which
  // Node needs at run time; under Jest the TypeScript source stands in for it.
  moduleNameMapper: { '^(.*/packages/stripe-emulator/src/index)\\.js$': '$1.ts' },
  transformIgnorePatterns: [`/node_modules/(?!(${esmPackages.join('|')})/)`],
};

module.exports = {
  // A global option: Jest ignores it inside a project.
  testTimeout: 30000,
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/packages/*/src/**/*.spec.ts'],
    },
    {
      ...shared,
      displayName: 'medium',
      testMatch: ['<rootDir>/test/medium/**/*.medium-spec.ts'],
      globalSetup: '<rootDir>/test/medium/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/medium/support/global-teardown.ts',
    },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts', '<rootDir>/packages/*/test/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};
