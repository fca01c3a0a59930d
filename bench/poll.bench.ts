// Polling at scale: the real poller (scheduler), fetcher (undici, address guard, DNS cache, caps), parser and
// store polling 5,000 distinct feeds served by a local HTTP server on 127.0.0.1, three rounds.
//   round 1 (cold): every feed answers 200 and is parsed; everything is marked seen.
//   rounds 2–3 (steady): 30% of the feeds gained an item (200 + parse + one new item), 70% answer 304.
// Parsing runs in the parse worker pool, as in the bot (its CPU is this process's too).
// The server runs in a child process so the CPU figures are the bot's alone. Prints feeds/min per core (feeds per
// CPU-minute of this process) and CPU µs per feed, with the heap after a full GC to show memory stays flat.
// Run: npm run bench -- poll   (or: node --import tsx --expose-gc bench/poll.bench.ts)
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type { LookupFunction } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isBlockedAddress } from '../src/feeds/fetch/address-guard.js';
import { createCachingLookup } from '../src/feeds/fetch/dns-cache.js';
import { createFetcher } from '../src/feeds/fetch/fetcher.js';
import { ParsePool } from '../src/feeds/parse/pool.js';
import { Poller, type CycleReport } from '../src/feeds/poll/poller.js';
import { silentLogger } from '../src/log.js';
import { openStore } from '../src/repositories.js';

import { CHANGED_SHARE, FEEDS, ITEMS, serveFeeds } from './bench-feeds.js';

const FEEDS_PER_HOST = 5; // 1,000 host names, all resolving to 127.0.0.1 through the DNS cache
const ROUNDS = 3;

// ---------------------------------------------------------------------------------------------------------------
// The bot side (this process)

function ask<T>(child: ChildProcess, message?: object): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as T));
    if (message) child.send(message);
  });
}

async function main(): Promise<void> {
  const child = fork(fileURLToPath(import.meta.url), ['serve'], { stdio: 'inherit' });
  const { ports, bytes } = await ask<{ ports: number[]; bytes: number }>(child);
  const port = ports[0]!;
  const dir = mkdtempSync(join(tmpdir(), 'herald-poll-bench-'));
  const store = await openStore(`sqlite://${join(dir, 'bench.sqlite')}`);

  // Host names resolve through the real caching lookup; the resolver under it is a fake that answers 127.0.0.1.
  let resolverCalls = 0;
  const resolver = ((hostname: string, options: { all?: boolean }, cb: (...a: unknown[]) => void) => {
    resolverCalls++;
    setImmediate(() => (options.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4)));
  }) as unknown as LookupFunction;
  const lookup = createCachingLookup({ resolver, ttlMs: 10 * 60_000 });
  const fetcher = createFetcher({
    userAgent: 'HeraldBot/bench',
    lookup,
    // The guard stays on; only the bench server's address counts as public.
    allowPrivateAddresses: false,
    isBlocked: (ip) => ip !== '127.0.0.1' && isBlockedAddress(ip),
    maxConcurrent: 32,
    maxPerHost: 4,
  });
  const urls = Array.from({ length: FEEDS }, (_, i) => `http://feeds${Math.floor(i / FEEDS_PER_HOST)}.bench.test:${port}/feed/${i}.xml`);
  const parsers = new ParsePool();
  let delivered = 0;
  let clock = Date.parse('2026-11-25T10:00:00Z');
  const poller = new Poller({
    store,
    fetcher,
    log: silentLogger,
    clock: () => new Date(clock),
    intervalMs: 2 * 60_000,
    feedUrls: () => urls,
    parse: parsers.parse,
    onNewItems: async (_feed, items) => {
      delivered += items.length;
    },
  });

  console.log(`${FEEDS} feeds on ${FEEDS / FEEDS_PER_HOST} hosts, ~${Math.round(bytes / 1024)} KB and ${ITEMS} items each; ${CHANGED_SHARE * 100}% change per steady round`);
  const gc = (globalThis as { gc?: () => void }).gc;
  const rows: Array<{ name: string; us: number; perMin: number }> = [];
  for (let round = 1; round <= ROUNDS; round++) {
    if (round > 1) {
      const { bumped } = await ask<{ bumped: number }>(child, { bump: round });
      if (bumped !== FEEDS * CHANGED_SHARE) throw new Error(`server bumped ${bumped} feeds`);
    }
    clock += 2 * 60_000;
    gc?.();
    const before = delivered;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const report: CycleReport = await poller.runCycle();
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    gc?.();
    const heapMb = process.memoryUsage().heapUsed / 1024 / 1024;
    const rssMb = process.memoryUsage().rss / 1024 / 1024;
    const us = (cpuMs * 1000) / FEEDS;
    const perMin = FEEDS / (cpuMs / 60_000);
    const name = round === 1 ? 'cold' : `steady ${round - 1}`;
    rows.push({ name, us, perMin });
    const o = report.outcomes;
    console.log(
      `round ${round} (${name.padEnd(8)}): ${Math.round(perMin).toLocaleString('en-US').padStart(8)} feeds/min/core  ${us.toFixed(0).padStart(5)} µs CPU/feed  ` +
        `wall ${(wallMs / 1000).toFixed(1)} s  heap ${heapMb.toFixed(1)} MB  rss ${rssMb.toFixed(0)} MB  ` +
        `[first ${o['first-fetch']}, new ${o['new-items']}, 304 ${o['not-modified']}, unchanged ${o.unchanged}, failed ${o.failed}; ${delivered - before} new items]`,
    );
    if (o.failed) throw new Error(`${o.failed} feeds failed`);
    if (round > 1 && (o['new-items'] !== FEEDS * CHANGED_SHARE || delivered - before !== FEEDS * CHANGED_SHARE)) throw new Error('wrong new-item count');
  }
  const steady = rows.slice(1);
  const steadyPerMin = steady.reduce((s, r) => s + r.perMin, 0) / steady.length;
  console.log(
    `summary: cold ${Math.round(rows[0]!.perMin).toLocaleString('en-US')} feeds/min/core (target ≥ 20,000), steady ${Math.round(steadyPerMin).toLocaleString('en-US')} (target ≥ 30,000); DNS resolver called ${resolverCalls}× for ${FEEDS / FEEDS_PER_HOST} hosts`,
  );

  await fetcher.close();
  await parsers.close();
  await store.close();
  child.disconnect();
  rmSync(dir, { recursive: true, force: true });
}

if (process.argv[2] === 'serve') await serveFeeds(['127.0.0.1']);
else await main();
