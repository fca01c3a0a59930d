// Herald compiled the way `npm run build` compiles it (tsconfig.build.json), for tests that run it as `npm start` and
// `npm run herald` do: `node dist/src/main.js`. Built once per source version into dist/.test-<hash>/ (inside the
// checkout, so node_modules resolves as it does for dist/), shared by every test file and reused by later runs.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const root = process.cwd();

function sourceHash(): string {
  const hash = createHash('sha256');
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (entry.name.endsWith('.ts')) hash.update(path).update(readFileSync(path));
    }
  };
  visit(join(root, 'src'));
  visit(join(root, 'commands'));
  for (const config of ['tsconfig.json', 'tsconfig.build.json', 'package.json']) hash.update(readFileSync(join(root, config)));
  return hash.digest('hex').slice(0, 16);
}

export interface BuiltHerald {
  /** dist/src/main.js of the build: what `npm start` runs */
  main: string;
  /** dist/src/cli.js of the build: what `npm run herald` runs */
  cli: string;
}

export function buildHerald(): BuiltHerald {
  const base = join(root, 'dist');
  const dir = join(base, `.test-${sourceHash()}`);
  const built = { main: join(dir, 'src', 'main.js'), cli: join(dir, 'src', 'cli.js') };
  if (existsSync(built.main) && existsSync(built.cli)) return built;

  mkdirSync(base, { recursive: true });
  // Builds of older sources go (an hour old: a test file of this run may still use a build it just made).
  for (const entry of readdirSync(base)) {
    const path = join(base, entry);
    if (entry.startsWith('.test-') && path !== dir && Date.now() - statSync(path).mtimeMs > 3_600_000) rmSync(path, { recursive: true, force: true });
  }
  const tmp = `${dir}.tmp-${process.pid}`;
  const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
  const run = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', tmp], { cwd: root, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`npm run build failed:\n${run.stdout}${run.stderr}`);
  try {
    renameSync(tmp, dir); // atomic: a test file building at the same time either wins or finds the build done
  } catch {
    rmSync(tmp, { recursive: true, force: true });
  }
  return built;
}
