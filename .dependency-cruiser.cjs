// The direction of dependencies in src/, checked by `npm run lint:boundaries` (part of `npm test`).
//
// - The shared folders (common, config, database, redis) sit below the features and import
//   none of them, nor the composition root (the files directly in src/).
// - A feature module is reached through its public entry, `src/<module>/index.ts`; its other
//   files are its own. Only the composition root (src/*.ts) wires modules from their files.
//   An entity may name another module's entity, for a relation and its foreign key.
// Unit specs (*.spec.ts) test their module's internals and are left out.
const SHARED = '(common|config|database|redis)';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'shared-imports-no-feature',
      comment: `src/${SHARED}/ is shared code: it may not import a feature module or the composition root`,
      severity: 'error',
      from: { path: `^src/${SHARED}/`, pathNot: '\\.spec\\.ts$' },
      to: { path: '^src/', pathNot: `^src/${SHARED}/` },
    },
    {
      name: 'module-internals',
      comment: 'another module is imported through its index.ts, never through its files',
      severity: 'error',
      from: { path: '^src/([^/]+)/', pathNot: ['\\.spec\\.ts$', '^src/[^/]+/entities/'] },
      to: {
        path: '^src/[^/]+/.+',
        pathNot: [`^src/$1/`, `^src/${SHARED}/`, '^src/[^/]+/index\\.ts$'],
      },
    },
    {
      name: 'module-internals-from-entities',
      comment: 'an entity reaches another module through its index.ts, except for the entity it relates to',
      severity: 'error',
      from: { path: '^src/([^/]+)/entities/' },
      to: {
        path: '^src/[^/]+/.+',
        pathNot: [`^src/$1/`, `^src/${SHARED}/`, '^src/[^/]+/index\\.ts$', '^src/[^/]+/entities/'],
      },
    },
  ],
  allowed: [],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
  },
};
