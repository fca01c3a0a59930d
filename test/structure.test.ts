// The dependency rule, checked on the import statements of src/ and commands/ (folder prefixes, so files can move
// inside a layer without touching this test).
//
// Layers, bottom → top. A module may import from its own layer or any layer below, never from one above.
//   0 base        src/config, src/log.ts, src/errors.ts (UserFacingError), src/text (Discord markup escaping),
//                 src/discord/rest.ts (the DiscordRest type only), src/metrics.ts (the Prometheus registry the
//                 domains count into: it must sit below feeds and alerts, and it knows no domain)
//   1 store       src/store: keys and values only; no domain, no discord.js
//   2 feeds       src/feeds: fetch, parse, poll, follow; FeedRecord & co. and the feeds' store slice
//   3 match       src/match: queries, the subscription index, SubscriptionRecord
//   4 ratings     src/ratings: votes and their summary (alerts use ratings, never the reverse)
//   5 alerts      src/alerts: compose, outbox, send; AlertRecord & co.
//   6 assembly    src/services.ts (what commands may use), src/repositories.ts (the typed Store over every domain),
//                 src/jobs (polling and delivery as BullMQ jobs shared by several worker processes)
//   7 discord     src/discord: client, interaction router, gateway events, command registration, replies
//   8 commands    commands/: one slash command per file (never the store: they ask services)
//   9 entry       src/app.ts, src/main.ts, src/cli.ts, src/cli/ (one file per verb), src/metrics-server.ts (the HTTP
//                 side of metrics: /metrics and /healthz, which looks at the gateway and the store)
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');

const LAYERS: Array<[prefix: string, rank: number]> = [
  ['src/config/', 0],
  ['src/log.ts', 0],
  ['src/errors.ts', 0],
  ['src/text/', 0],
  // The REST slice alerts, notices and ratings send through: a type-only leaf in src/discord that the layers below
  // may name without depending on the gateway client.
  ['src/discord/rest.ts', 0],
  // Counters the pipeline increments; served over HTTP by src/metrics-server.ts (entry layer).
  ['src/metrics.ts', 0],
  ['src/store/', 1],
  ['src/feeds/', 2],
  ['src/match/', 3],
  ['src/ratings/', 4],
  ['src/alerts/', 5],
  ['src/services.ts', 6],
  // Polling and delivery as BullMQ jobs for several worker processes: they drive the poller and the alert service.
  ['src/jobs/', 6],
  ['src/repositories.ts', 6],
  ['src/discord/', 7],
  ['commands/', 8],
  ['src/app.ts', 9],
  ['src/main.ts', 9],
  ['src/cli.ts', 9],
  ['src/cli/', 9],
  ['src/metrics-server.ts', 9],
];

/** Domains the store layer must not know. */
const DOMAINS = ['src/feeds/', 'src/match/', 'src/ratings/', 'src/alerts/', 'src/discord/', 'src/services.ts', 'src/repositories.ts', 'commands/'];


function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(ROOT, dir))) {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) out.push(...filesUnder(path));
    else if (/\.(ts|mts)$/.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** Every module specifier a file imports or re-exports (static, side-effect and dynamic imports). */
export function specifiers(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const found = new Set<string>();
  const patterns = [/\b(?:import|export)\s+(?:type\s+)?[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*['"]([^'"]+)['"]/g, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const pattern of patterns) for (const m of code.matchAll(pattern)) found.add(m[1]!);
  return [...found];
}

/** The repo path a relative specifier points at (`.js` → `.ts`), or the package name for a bare one. */
function target(file: string, spec: string): { path: string } | { pkg: string } {
  if (!spec.startsWith('.')) return { pkg: spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]! };
  return { path: relative(ROOT, resolve(ROOT, dirname(file), spec)).replace(/\.js$/, '.ts') };
}

const rankOf = (path: string) => LAYERS.find(([prefix]) => path === prefix || path.startsWith(prefix))?.[1];

const files = [...filesUnder('src'), ...filesUnder('commands')];
const benchFiles = filesUnder('bench');
const edgesOf = (list: string[]) => list.flatMap((file) => specifiers(readFileSync(join(ROOT, file), 'utf8')).map((spec) => ({ file, spec, to: target(file, spec) })));
const edges = edgesOf(files);

describe('structure: dependencies point one way', () => {
  it('finds the imports it checks (the scan itself works)', () => {
    expect(files.length).toBeGreaterThan(40);
    expect(specifiers("import type {\n  A,\n  B,\n} from '../x.js';\nexport { c } from './c.js';\nconst w = await import('./w.js');")).toEqual(['../x.js', './c.js', './w.js']);
    expect(edges.some((e) => e.file === 'src/app.ts' && 'path' in e.to && e.to.path === 'src/repositories.ts')).toBe(true);
  });

  it('every module of src/ and commands/ has a layer', () => {
    expect(files.filter((f) => rankOf(f) === undefined)).toEqual([]);
  });

  it('src/store imports no domain and not discord.js: it knows keys and values', () => {
    const bad = edges
      .filter((e) => e.file.startsWith('src/store/'))
      .filter((e) => ('pkg' in e.to ? e.to.pkg === 'discord.js' || e.to.pkg.startsWith('@discordjs/') : DOMAINS.some((d) => (e.to as { path: string }).path.startsWith(d))))
      .map((e) => `${e.file} → ${e.spec}`);
    expect(bad).toEqual([]);
  });

  it('commands never import the store (they ask services)', () => {
    const bad = edges.filter((e) => e.file.startsWith('commands/') && 'path' in e.to && (e.to.path.startsWith('src/store/') || e.to.path === 'src/repositories.ts'));
    expect(bad.map((e) => `${e.file} → ${e.spec}`)).toEqual([]);
  });

  it('no module imports from a layer above its own; src/, commands/ and bench/ never import test code', () => {
    const upward: string[] = [];
    for (const e of [...edges, ...edgesOf(benchFiles)]) {
      if (!('path' in e.to)) continue;
      if (e.to.path.startsWith('test/')) {
        upward.push(`${e.file} → ${e.to.path} (test code)`);
        continue;
      }
      const from = rankOf(e.file);
      const to = rankOf(e.to.path);
      if (from === undefined || to === undefined || to <= from) continue;
      upward.push(`${e.file} (layer ${from}) → ${e.to.path} (layer ${to})`);
    }
    expect(upward).toEqual([]);
  });
});
