// Scaling out: 5,000 local feeds polled through BullMQ by 1 and then 2 Herald worker processes (`HERALD_ROLE=worker`,
// `src/main.ts` through tsx) on one Redis, and alerts delivered to a fake Discord through the queue's shared rate limit.
//   polling: a cold round (every feed 200 + parse), a steady round (30% gained an item, 70% answer 304) and a slow
//   round (steady, but every answer takes SLOW_MS, like real sites: the fetch budget, not the CPU, is the limit);
//   the bench queues each round's jobs itself, as a worker's cron tick would, and times it until the queue is empty.
//   Prints feeds/min per worker count (target: 2 workers ≥ 1.7× one), the workers' CPU, and Redis round trips per
//   polled feed (MONITOR: requests clients send, not the commands Lua scripts run inside Redis).
//   delivery: alerts queued for 12 channels, sent by 2 workers to a Discord stand-in that answers at once, with the
//   bot's own 1️⃣–5️⃣ reactions and without (RATING_REACTIONS=false); prints alerts/s and the busiest second of
//   requests Discord saw (it must stay ≤ 50).
// Needs Redis: HERALD_BENCH_REDIS_URL or HERALD_TEST_REDIS_URL (default redis://127.0.0.1:6379), database 8 (flushed).
// Run: npm run bench -- scale
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DeliveryJobs } from '../src/jobs/delivery-jobs.js';
import { PollJobs } from '../src/jobs/poll-jobs.js';
import { nonceFor, outboxKey } from '../src/alerts/outbox.js';
import type { OutboxEntry } from '../src/alerts/records.js';
import { silentLogger } from '../src/log.js';
import { openStore } from '../src/repositories.js';
import { RedisCoordination, redisOptions } from '../src/store/redis-coordination.js';
import { CHANGED_SHARE, FEEDS, serveFeeds } from './bench-feeds.js';

/** 20 loopback addresses: the fetcher's per-host cap (4) then allows its full 32 fetches at once. */
const HOSTS = Array.from({ length: 20 }, (_, i) => `127.0.0.${i + 1}`);
const GUILDS = 100;
/** The answer time of the slow round: about what a real news site takes. */
const SLOW_MS = 300;
const PREFIX = 'bench';
const TOKEN = 'scale-bench-token';
const CHANNELS = Array.from({ length: 12 }, (_, i) => `9100000000000000${String(i).padStart(2, '0')}`);
const GUILD = '910000000000000001';

const baseUrl = process.env.HERALD_BENCH_REDIS_URL ?? process.env.HERALD_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const redisUrl = (() => {
  const u = new URL(baseUrl);
  u.pathname = '/8';
  return u.toString();
})();

function ask<T>(child: ChildProcess, message?: object): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as T));
    if (message) child.send(message);
  });
}

/** What the bench's Discord stand-in saw: every request with its arrival time. */
interface DiscordStandIn {
  apiUrl: string;
  requests: Array<{ method: string; path: string; at: number }>;
  close(): Promise<void>;
}

/**
 * The part of Discord's REST API a worker uses to deliver (post a message, add a reaction), answering at once: the
 * bench measures Herald's pacing, not a server. (The tests' full fake Discord lives in test/, which benches don't use.)
 */
async function startDiscordStandIn(): Promise<DiscordStandIn> {
  const requests: DiscordStandIn['requests'] = [];
  let nextId = 10n ** 17n;
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '').replace(/^\/api\/v10/, '').split('?')[0] ?? '');
    requests.push({ method: req.method ?? 'GET', path, at: Date.now() });
    req.resume();
    req.on('end', () => {
      const message = req.method === 'POST' && /^\/channels\/\d+\/messages$/.exec(path);
      if (message) {
        const id = String(nextId++);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id, channel_id: path.split('/')[2], content: '', embeds: [] }));
      } else if (req.method === 'PUT' && path.includes('/reactions/')) res.writeHead(204).end();
      else res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 0, message: 'Not Found' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { apiUrl: `http://127.0.0.1:${port}/api`, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

interface Worker {
  child: ChildProcess;
  stopped: Promise<void>;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Every worker process started and not yet gone: killed when the bench is stopped, or exits, so none outlives it. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const child of running) child.kill('SIGKILL');
    process.exit(130);
  });
}

/** Herald workers as processes: `npm start` with HERALD_ROLE=worker (run from the sources through tsx). */
function startWorkers(count: number, cwd: string, discord: DiscordStandIn, env: Record<string, string> = {}): Promise<Worker[]> {
  return Promise.all(
    Array.from({ length: count }, () => {
      // tsx by file URL: the workers run in an empty folder (no .env, no data/), where `--import tsx` would not resolve
      const tsx = pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
      const child = spawn(process.execPath, ['--import', tsx, join(ROOT, 'src', 'main.ts')], {
        cwd,
        env: {
          PATH: process.env.PATH,
          HERALD_ROLE: 'worker',
          STORE_URL: redisUrl,
          STORE_PREFIX: PREFIX,
          DISCORD_TOKEN: TOKEN,
          DISCORD_API_URL: discord.apiUrl,
          POLL_CRON: '0 0 1 1 *', // the bench queues the rounds itself
          ALLOW_PRIVATE_ADDRESSES: 'true',
          FETCH_ARTICLES: 'false',
          LOG_LEVEL: 'info',
          LOG_FORMAT: 'json',
          ...env,
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      running.add(child);
      const stopped = new Promise<void>((resolve) =>
        child.on('exit', () => {
          running.delete(child);
          resolve();
        }),
      );
      return new Promise<Worker>((resolve, reject) => {
        let out = '';
        let started = false;
        child.stdout!.on('data', (chunk: Buffer) => {
          if (started) return;
          out += chunk;
          if (out.includes('"event":"start"')) {
            started = true;
            resolve({ child, stopped });
          }
        });
        child.on('exit', (code) => {
          if (!started) reject(new Error(`worker exited (${code}) while starting:\n${out}`));
        });
      });
    }),
  );
}

async function stopWorkers(workers: Worker[]): Promise<void> {
  for (const w of workers) w.child.kill('SIGTERM');
  await Promise.all(workers.map((w) => w.stopped));
}

/** CPU seconds a process has used (Linux /proc; utime + stime in clock ticks of 1/100 s). */
function cpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** The whole machine's CPU time so far, busy and in all (Linux /proc/stat, clock ticks). */
function machineCpu(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

/** Redis's own CPU seconds (INFO cpu). */
async function redisCpu(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  return Number(/used_cpu_user:([\d.]+)/.exec(info)?.[1] ?? 0) + Number(/used_cpu_sys:([\d.]+)/.exec(info)?.[1] ?? 0);
}

/**
 * Counts the requests clients send Redis while `run` runs, through MONITOR: each line is one request from a client;
 * commands a Lua script runs inside Redis are tagged `lua` and are not round trips.
 */
async function roundTrips(run: () => Promise<void>): Promise<number> {
  const monitor = new Redis(redisUrl);
  let count = 0;
  const m = await monitor.monitor();
  m.on('monitor', (_time: string, _args: string[], source: string) => {
    if (!source.includes('lua')) count++;
  });
  await run();
  m.disconnect();
  monitor.disconnect();
  return count;
}

async function main(): Promise<void> {
  const cwd = mkdtempSync(join(tmpdir(), 'herald-scale-bench-'));
  const server = fork(fileURLToPath(import.meta.url), ['serve'], { stdio: 'inherit' });
  const { ports } = await ask<{ ports: number[] }>(server);
  const urls = Array.from({ length: FEEDS }, (_, i) => `http://${HOSTS[i % HOSTS.length]}:${ports[i % HOSTS.length]}/feed/${i}.xml`);
  const discord = await startDiscordStandIn();
  const admin = new Redis(redisUrl);
  const connect = () => new Redis(redisUrl, redisOptions({ maxRetriesPerRequest: null, lazyConnect: false }));
  console.log(`${FEEDS} feeds on ${HOSTS.length} loopback hosts; ${cpus().length} cores (${cpus()[0]?.model ?? '?'}); Redis ${redisUrl}; node ${process.version}`);

  // ---- polling --------------------------------------------------------------------------------------------------
  const rows: Array<{ workers: number; round: string; perMin: number; perCpuMin: number }> = [];
  let round = 0;
  for (const workerCount of [1, 2]) {
    await admin.flushdb();
    const store = await openStore(redisUrl, { prefix: PREFIX });
    const perGuild = FEEDS / GUILDS;
    for (let g = 0; g < GUILDS; g++) await store.guildFeeds.set(`92000000000000${String(g).padStart(4, '0')}`, { follows: urls.slice(g * perGuild, (g + 1) * perGuild), droppedDefaults: [] });
    await store.close();
    const workers = await startWorkers(workerCount, cwd, discord);
    const jobs = new PollJobs({ connect, prefix: PREFIX, poller: { pollFeed: async () => ({ outcome: 'skipped', newItems: 0 }) }, feedUrls: () => urls, intervalMs: 120_000, log: silentLogger, clock: () => new Date() });
    for (const name of ['cold', 'steady', 'slow']) {
      if (name !== 'cold') {
        const { bumped } = await ask<{ bumped: number }>(server, { bump: ++round });
        if (bumped !== FEEDS * CHANGED_SHARE) throw new Error(`server bumped ${bumped} feeds`);
      }
      await ask(server, { latencyMs: name === 'slow' ? SLOW_MS : 0 });
      const cpu0 = workers.reduce((sum, w) => sum + cpuSeconds(w.child.pid), 0);
      const redis0 = await redisCpu(admin);
      const machine0 = machineCpu();
      const t0 = performance.now();
      await jobs.plan({ spreadMs: 0, slot: `bench${workerCount}${name}` });
      await jobs.drained(600_000);
      const wallMs = performance.now() - t0;
      const cpu = workers.reduce((sum, w) => sum + cpuSeconds(w.child.pid), 0) - cpu0;
      const redis = (await redisCpu(admin)) - redis0;
      const machine1 = machineCpu();
      const busy = (100 * (machine1.busy - machine0.busy)) / Math.max(1, machine1.total - machine0.total);
      const failed = await jobs.queue.getJobCounts('failed');
      const perMin = FEEDS / (wallMs / 60_000);
      const perCpuMin = FEEDS / (cpu / 60);
      rows.push({ workers: workerCount, round: name, perMin, perCpuMin });
      console.log(
        `${workerCount} worker${workerCount > 1 ? 's' : ' '} ${name.padEnd(6)}: ${Math.round(perMin).toLocaleString('en-US').padStart(7)} feeds/min  wall ${(wallMs / 1000).toFixed(1)} s  ` +
          `workers' CPU ${cpu.toFixed(1)} s (${Math.round(perCpuMin).toLocaleString('en-US')} feeds per CPU-minute)  Redis CPU ${redis.toFixed(1)} s  machine ${busy.toFixed(0)}% busy${failed.failed ? `  (${failed.failed} jobs failed)` : ''}`,
      );
    }
    await ask(server, { latencyMs: 0 });
    if (workerCount === 2) {
      // one more steady round, untimed, with MONITOR counting every request a client sends Redis
      await ask<{ bumped: number }>(server, { bump: ++round });
      const trips = await roundTrips(async () => {
        await jobs.plan({ spreadMs: 0, slot: 'benchcount' });
        await jobs.drained(600_000);
      });
      console.log(`Redis round trips per polled feed (steady round, 2 workers, planning included): ${(trips / FEEDS).toFixed(1)}`);
    }
    await jobs.close();
    await stopWorkers(workers);
  }
  for (const name of ['cold', 'steady', 'slow']) {
    const one = rows.find((r) => r.workers === 1 && r.round === name)!;
    const two = rows.find((r) => r.workers === 2 && r.round === name)!;
    console.log(
      `summary ${name}: 1 worker ${Math.round(one.perMin).toLocaleString('en-US')} feeds/min, 2 workers ${Math.round(two.perMin).toLocaleString('en-US')} feeds/min: ${(two.perMin / one.perMin).toFixed(2)}× (target ≥ 1.7×); ` +
        `per worker CPU-minute ${Math.round(one.perCpuMin).toLocaleString('en-US')} vs ${Math.round(two.perCpuMin).toLocaleString('en-US')}`,
    );
  }

  // ---- delivery through the shared rate limit -------------------------------------------------------------------
  for (const reactions of [true, false]) {
    await admin.flushdb();
    const alerts = reactions ? 120 : 400;
    const store = await openStore(redisUrl, { prefix: PREFIX });
    const coordination = await RedisCoordination.open(redisUrl, { prefix: PREFIX });
    const delivery = new DeliveryJobs({ connect, prefix: PREFIX, coordination, outbox: store.outbox, log: silentLogger });
    const workers = await startWorkers(2, cwd, discord, { RATING_REACTIONS: String(reactions) });
    const before = discord.requests.length;
    const start = Date.now();
    for (let i = 0; i < alerts; i++) {
      const channelId = CHANNELS[i % CHANNELS.length]!;
      const key = outboxKey(channelId, [`link:https://bench.test/${reactions}/${i}`]);
      const entry: OutboxEntry = {
        key,
        nonce: nonceFor(key),
        createdAt: new Date().toISOString(),
        attempts: 0,
        guildId: GUILD,
        channelId,
        feedUrl: urls[i]!,
        itemId: `item-${i}`,
        title: `Story ${i}`,
        link: `https://bench.test/${reactions}/${i}`,
        terms: ['story'],
        subscriptionIds: ['bench'],
        embed: { title: `Story ${i}`, url: `https://bench.test/${reactions}/${i}`, description: 'Negotiators met again on Monday.' },
      };
      await store.outbox.set(key, entry);
      await delivery.send(entry);
    }
    await delivery.drained(600_000);
    const requests = discord.requests.slice(before).filter((r) => r.at >= start);
    const posts = requests.filter((r) => r.method === 'POST' && /^\/channels\/\d+\/messages$/.test(r.path));
    const first = Math.min(...posts.map((r) => r.at));
    const last = Math.max(...requests.map((r) => r.at));
    const perSecond = new Map<number, number>();
    for (const r of requests) perSecond.set(Math.floor(r.at / 1000), (perSecond.get(Math.floor(r.at / 1000)) ?? 0) + 1);
    const busiest = Math.max(...perSecond.values());
    console.log(
      `delivery, 2 workers, ${reactions ? 'with the bot\'s 5 rating reactions' : 'RATING_REACTIONS=false          '}: ${posts.length} alerts in ${((last - first) / 1000).toFixed(1)} s = ` +
        `${(posts.length / ((last - first) / 1000)).toFixed(1)} alerts/s, ${requests.length} requests (busiest second: ${busiest} requests; Discord allows 50)`,
    );
    await stopWorkers(workers);
    await delivery.closeAll();
    await coordination.close();
    await store.close();
  }

  await admin.flushdb();
  admin.disconnect();
  await discord.close();
  server.disconnect();
  rmSync(cwd, { recursive: true, force: true });
}

if (process.argv[2] === 'serve') await serveFeeds(HOSTS);
else await main();
