// Rewrites `import.meta.{url,dirname,filename,resolve}` in the ES-module packages Jest
// transpiles to CommonJS (see jest.config.js). `url` is built from `__filename` only, because
// some of those modules declare a `require` of their own (`createRequire(import.meta.url)`).
module.exports = function importMeta({ types: t }) {
  const replacements = {
    url: () =>
      t.binaryExpression(
        '+',
        t.stringLiteral('file://'),
        t.callExpression(t.identifier('encodeURI'), [t.identifier('__filename')]),
      ),
    dirname: () => t.identifier('__dirname'),
    filename: () => t.identifier('__filename'),
    resolve: () => t.memberExpression(t.identifier('require'), t.identifier('resolve')),
  };
  return {
    visitor: {
      MetaProperty(path) {
        if (path.node.meta.name !== 'import' || path.node.property.name !== 'meta') return;
        const parent = path.parentPath;
        const replacement = parent.isMemberExpression() && replacements[parent.node.property.name];
        if (replacement) parent.replaceWith(replacement());
      },
    },
  };
};
