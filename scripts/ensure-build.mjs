#!/usr/bin/env node
// Runs before `npm start` and `npm run herald` (prestart / preherald): Herald runs as compiled JavaScript from dist/,
// so make sure dist/ holds a build of the current sources. Plain JavaScript on purpose: it must run on node alone,
// also after `npm prune --omit=dev` removed TypeScript.
//   dist/ current                    → nothing to do
//   missing or older, tsc installed  → build it now (npm run build)
//   missing or older, no tsc         → say exactly what to run, exit 1
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const entries = ['dist/src/main.js', 'dist/src/cli.js'].map((p) => join(root, p));
const PRODUCTION_INSTALL = 'npm ci && npm run build && npm prune --omit=dev';

/** Newest modification time of the sources a build is made from (bounded walk: src/ and commands/ only). */
function newestSource() {
  let newest = 0;
  const visit = (dir, depth) => {
    if (depth > 8 || !existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) visit(path, depth + 1);
      else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  visit(join(root, 'src'), 0);
  visit(join(root, 'commands'), 0);
  for (const config of ['tsconfig.json', 'tsconfig.build.json']) {
    const path = join(root, config);
    if (existsSync(path)) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function builtAt() {
  if (!entries.every((p) => existsSync(p))) return null;
  return Math.min(...entries.map((p) => statSync(p).mtimeMs));
}

function tscPath() {
  try {
    return createRequire(import.meta.url).resolve('typescript/bin/tsc');
  } catch {
    return null;
  }
}

const built = builtAt();
if (built !== null && built >= newestSource()) process.exit(0);

const why = built === null ? "Herald isn't built yet (no dist/)" : 'dist/ is older than the sources in src/ and commands/';
const tsc = tscPath();
if (!tsc) {
  console.error(`${why}, and TypeScript isn't installed here to build it.\nBuild it with: ${PRODUCTION_INSTALL}`);
  process.exit(1);
}
console.error(`${why}: building it (npm run build)…`);
const build = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
if (build.status !== 0) {
  console.error('The build failed (errors above). Fix them, or check out a released version, then run npm start again.');
  process.exit(1);
}
