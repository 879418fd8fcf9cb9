// Bundles the extension (Node, CommonJS, `vscode` external), the chat webview
// (browser IIFE) and the Node tests with esbuild. `node build.mjs --tests`
// also bundles test/node/*.test.ts into out/test/.
import { build } from 'esbuild';
import { readFileSync, readdirSync } from 'node:fs';
import { parse } from 'smol-toml';

/** `import data from 'x.toml'`: the file's parsed data (scripts/prices.toml for the chat's cost line). */
const toml = {
  name: 'toml',
  setup(plugin) {
    plugin.onLoad({ filter: /\.toml$/ }, (args) => ({ contents: JSON.stringify(parse(readFileSync(args.path, 'utf8'))), loader: 'json' }));
  },
};

const common = { bundle: true, sourcemap: true, logLevel: 'warning', legalComments: 'none' };

await Promise.all([
  build({
    ...common,
    entryPoints: ['src/extension.ts'],
    outfile: 'dist/extension.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
  }),
  build({
    ...common,
    entryPoints: ['src/webview/main.ts'],
    outfile: 'dist/webview.js',
    platform: 'browser',
    format: 'iife',
    target: 'chrome120',
    plugins: [toml],
  }),
]);

if (process.argv.includes('--tests')) {
  const tests = readdirSync('test/node').filter((name) => name.endsWith('.test.ts'));
  await build({
    ...common,
    entryPoints: [...tests.map((name) => `test/node/${name}`)],
    outdir: 'out/test',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outExtension: { '.js': '.cjs' },
    plugins: [toml],
  });
}
