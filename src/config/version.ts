import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/**
 * Herald's version, from its package.json: the first one up from this module (src/config in a checkout,
 * dist/src/config when built) that names "herald". "unknown" when there is none (never throws).
 */
export function heraldVersion(): string {
  if (cached !== undefined) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 5; up++, dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'herald' && typeof pkg.version === 'string') return (cached = pkg.version);
    } catch {
      // no package.json here: one folder up
    }
  }
  return (cached = 'unknown');
}

/** The kind of store a STORE_URL names, never the URL itself (it may hold a password). */
export function storeKind(storeUrl: string): string {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(storeUrl)?.[1]?.toLowerCase();
  const kinds: Record<string, string> = { sqlite: 'SQLite', redis: 'Redis', rediss: 'Redis (TLS)', postgres: 'Postgres', postgresql: 'Postgres', memory: 'memory (nothing kept)' };
  return (scheme && kinds[scheme]) ?? 'unknown';
}
