/**
 * esbuild plugin. The sources load some packages lazily, as createRequire(import.meta.url)('pkg'),
 * to keep the CLI's start-up short; esbuild does not follow that form. This rewrites it to
 * require('pkg') in src/ and rules/, which esbuild bundles (node: built-ins are left alone).
 * `only` limits the rewrite to the specifiers it matches, for a build that keeps packages
 * external (`packages: 'external'`): those are resolved here, from `root`, so they are bundled
 * all the same. Used by build-action.mjs (every such package) and build-cli.mjs (the parser's
 * loader in the lint bundle).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

export function lazyRequire({ only, root } = {}) {
  return {
    name: 'lazy-require',
    setup(b) {
      b.onLoad({ filter: /[\\/](src|rules)[\\/].*\.ts$/ }, (args) => {
        const text = readFileSync(args.path, 'utf8');
        const contents = text.replace(/createRequire\(import\.meta\.url\)\((['"])([^'"]+)\1\)/g, (m, q, spec) =>
          spec.startsWith('node:') || (only && !only.test(spec)) ? m : `require(${q}${spec}${q})`,
        );
        return { contents, loader: 'ts' };
      });
      if (only) {
        const require = createRequire(`${root}/`);
        b.onResolve({ filter: only }, (args) => ({ path: require.resolve(args.path) }));
      }
    },
  };
}
