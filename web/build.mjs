// Bundles the explorer: node build.mjs SRC_DIR OUT_DIR NODE_MODULES_DIR.
// web/CMakeLists.txt runs it; the packages come from the build tree's
// node_modules (npm ci there), so the source tree holds none.
import { createRequire } from 'node:module';
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const [src, out, nodeModules] = process.argv.slice(2);
if (!src || !out || !nodeModules) {
  console.error('usage: node build.mjs SRC_DIR OUT_DIR NODE_MODULES_DIR');
  process.exit(2);
}
const esbuild = createRequire(join(nodeModules, '/'))('esbuild');

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await esbuild.build({
  entryPoints: [join(src, 'main.js')],
  bundle: true,
  minify: true,
  sourcemap: true,
  format: 'esm',
  target: ['es2020'],
  nodePaths: [nodeModules],
  outfile: join(out, 'explorer.js'),
  logLevel: 'warning',
});
for (const name of readdirSync(src)) {
  if (/\.(html|css|svg)$/.test(name)) copyFileSync(join(src, name), join(out, name));
}
