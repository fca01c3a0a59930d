/**
 * The fault-injection soak: Herald as a real process (`src/main.ts` under the tsx loader) against the fake Discord and
 * a local feed server. Stories are published over time on several feeds (some stories on two feeds, same link),
 * Discord misbehaves (5xx, route and global 429s, lost and slow answers, outages), Herald is killed with SIGKILL at
 * seeded moments and restarted on the same store. At the end every channel is compared with what its subscriptions
 * imply: `expected N, delivered N, duplicates 0, lost 0`.
 *
 * Two topologies: `one` (a single Herald, HERALD_ROLE=all, on SQLite or Redis) and `workers` (Redis only: one gateway
 * process, HERALD_ROLE=gateway, which answers the setup's slash commands, and two HERALD_ROLE=worker processes that
 * poll and send as BullMQ jobs; the kills hit a worker, never the gateway).
 *
 * Used by test/e2e/soak.test.ts (short, several seeds) and scripts/soak.ts (`npm run soak`, longer).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Queue } from 'bullmq';
import { PermissionFlagsBits } from 'discord-api-types/v10';
import { Redis } from 'ioredis';
import { startFakeDiscord, type FakeDiscord, type FakeMessage, type FakeRequest, type FaultPlan } from './fake-discord.js';
import { rssFeed, startFeedServer, type FeedServer } from './feed-server.js';
import { prng } from '../../bench/prng.js';
import { DELIVERY_QUEUE } from '../../src/jobs/delivery-jobs.js';
import { queuePrefix } from '../../src/jobs/poll-jobs.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TOKEN = 'soak-secret-token';
const APP = '470000000000000001';
const BOT = '470000000000000002';
const ADMIN = '370000000000000001';
const KEYWORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo'] as const;
const FEEDS = ['/f0.xml', '/f1.xml', '/f2.xml', '/f3.xml'];

/** Who follows what and wants which words: fixed, so "expected" is easy to check by eye. */
export const GUILDS = [
  {
    id: '170000000000000001',
    name: 'Soak One',
    feeds: ['/f0.xml', '/f1.xml', '/f2.xml'],
    channels: [
      { id: '270000000000000011', name: 'one-alpha', queries: ['alpha', 'echo'] }, // two subscriptions, one message per story
      { id: '270000000000000012', name: 'one-bravo-charlie', queries: ['bravo, charlie'] },
      { id: '270000000000000013', name: 'one-delta', queries: ['delta'] },
    ],
  },
  {
    id: '170000000000000002',
    name: 'Soak Two',
    feeds: ['/f2.xml', '/f3.xml'],
    channels: [
      { id: '270000000000000021', name: 'two-alpha-delta', queries: ['alpha, delta'] },
      { id: '270000000000000022', name: 'two-bravo', queries: ['bravo'] },
    ],
  },
];

/**
 * `one`: a single Herald process (HERALD_ROLE=all). `workers`: on Redis only, a gateway (HERALD_ROLE=gateway) and two
 * workers (HERALD_ROLE=worker) on the same store; each kill SIGKILLs a worker and starts a replacement a few seconds
 * later (after its jobs' locks expired, so the surviving worker has to take them over).
 */
export type SoakTopology = 'one' | 'workers';

/** JOB_LOCK_MS of the `workers` topology: a dead worker's jobs go to another worker within a few seconds. */
export const SOAK_JOB_LOCK_MS = 2_500;

export interface SoakOptions {
  seed: number;
  /** Default `one`. `workers` needs a Redis `storeUrl`. */
  topology?: SoakTopology;
  /** `sqlite://…` (a fresh file per run when omitted) or a Redis URL whose database the run may flush. */
  storeUrl?: string;
  /** For the printed line. */
  backend: string;
  stories: number;
  /** Publishing lasts this long (ms). */
  publishMs: number;
  /** SIGKILL + restart this many times while publishing. */
  kills: number;
  /** Progress lines (restarts, phases). */
  log?: (line: string) => void;
  /**
   * The end waits while Herald makes progress. Missing alerts count as lost once Herald has polled every feed twice
   * since the final restart (so its outbox is drained: polling starts after the drain) and then sent nothing for
   * `idleMs` (default 10 s), or at the latest after `drainTimeoutMs` (default 180 s).
   */
  drainTimeoutMs?: number;
  idleMs?: number;
  /** Once everything expected arrived: no send for this long = no late duplicate is coming. Default 1500 ms. */
  quietMs?: number;
  /** Fault rates; default DEFAULT_FAULTS. */
  faults?: Omit<FaultPlan, 'seed' | 'route'>;
}

export interface SoakResult {
  seed: number;
  backend: string;
  expected: number;
  delivered: number;
  duplicates: number;
  lost: number;
  /** Messages for stories the channel should not have got (published before it subscribed, or not matching). */
  unexpected: number;
  /** Herald exits we did not cause (with the log tail). */
  crashes: string[];
  /** The final SIGTERM did not exit 0. */
  uncleanStop: string | null;
  restarts: number;
  faults: Partial<Record<string, number>>;
  nonceHits: number;
  /** Contract problems the fake saw. */
  problems: string[];
  /** Herald's warn/error log lines by event (e.g. `warn alert.send_failed`). */
  warnings: Record<string, number>;
  /** From the final restart until everything arrived and Herald went quiet. */
  finalDrainMs: number;
  /** Per channel: stories posted more than once, and stories missing (for the report). */
  details: { channel: string; duplicates: string[]; lost: string[]; unexpected: string[] }[];
  line: string;
}

export const DEFAULT_FAULTS: Omit<FaultPlan, 'seed' | 'route'> = {
  rates: { '500': 0.03, '503': 0.03, '429': 0.04, '429-global': 0.01, 'lost-close': 0.04, 'lost-reset': 0.02, slow: 0.05 },
  retryAfterSeconds: [0.05, 0.6],
  slowMs: [100, 1500],
  outageRate: 0.01,
  outageLength: [4, 8],
};

export interface Story {
  n: number;
  link: string;
  title: string;
  words: string[];
  /** feed path → ms after the start of publishing */
  at: Map<string, number>;
}

/** The stories of a run: seeded words, feeds and times. Some are carried by two feeds, the second a little later. */
export function planStories(seed: number, count: number, publishMs: number): Story[] {
  const r = prng(seed * 7919 + 1);
  const stories: Story[] = [];
  for (let n = 0; n < count; n++) {
    const words = KEYWORDS.filter(() => r() < 0.3);
    const first = FEEDS[Math.floor(r() * FEEDS.length)]!;
    const t = Math.floor(r() * publishMs);
    const at = new Map([[first, t]]);
    if (r() < 0.4) {
      const others = FEEDS.filter((f) => f !== first);
      at.set(others[Math.floor(r() * others.length)]!, Math.min(publishMs, t + Math.floor(r() * 4000)));
    }
    stories.push({ n, link: `https://news.example/story/${seed}-${n}`, title: `Report ${seed}-${n}: ${[...words, 'update'].join(' ')} from the desk`, words, at });
  }
  return stories;
}

/** Channel id → links it should receive, from the subscriptions and the guild's feeds. */
export function expectedByChannel(stories: Story[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const g of GUILDS) {
    for (const ch of g.channels) {
      const alternatives = ch.queries.flatMap((q) => q.split(',').map((s) => s.trim()));
      const want = new Set<string>();
      for (const s of stories) {
        const followed = [...s.at.keys()].some((f) => g.feeds.includes(f));
        if (followed && alternatives.some((a) => s.words.includes(a))) want.add(s.link);
      }
      out.set(ch.id, want);
    }
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => boolean, timeoutMs: number, bail?: () => string | null): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    const why = bail?.();
    if (why) throw new Error(`gave up waiting for ${what}: ${why}`);
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

/** One Herald process; stdout is JSON lines. */
export class Herald {
  readonly child: ChildProcess;
  out = '';
  err = '';
  events: string[] = [];
  /** Log lines at warn level or above, counted by event (all Herald processes of a world share one map). */
  exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  readonly exited: Promise<void>;
  /** set when we send the signal, so an exit we did not cause is a crash */
  expectExit = false;
  /** `all`, `gateway` or `worker` (HERALD_ROLE) */
  readonly role: string;

  constructor(
    env: Record<string, string>,
    cwd: string,
    /** warn/error log lines by event, shared by the processes of one world */
    private readonly warnings: Map<string, number>,
    /** every stdout line is also appended here, when set */
    logFile?: string,
  ) {
    this.role = env.HERALD_ROLE ?? 'all';
    const tsx = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
    this.child = spawn(process.execPath, ['--import', tsx, join(ROOT, 'src/main.ts')], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const child = this.child;
    live.add(child);
    child.on('exit', () => live.delete(child));
    let partial = '';
    this.child.stdout!.on('data', (chunk: Buffer) => {
      const text = partial + chunk.toString('utf8');
      const lines = text.split('\n');
      partial = lines.pop() ?? '';
      if (logFile && lines.length) appendFileSync(logFile, lines.map((l) => l + '\n').join(''));
      for (const line of lines) {
        this.out += line + '\n';
        if (this.out.length > 400_000) this.out = this.out.slice(-200_000);
        try {
          const parsed = JSON.parse(line) as { event?: string; level?: number };
          if (parsed.event) this.events.push(parsed.event);
          const level = parsed.level ?? 0;
          if (level >= 40) {
            const key = `${level >= 50 ? 'error' : 'warn'} ${parsed.event ?? '?'}`;
            this.warnings.set(key, (this.warnings.get(key) ?? 0) + 1);
          }
        } catch {
          // not JSON: kept in `out` for the report
        }
      }
    });
    this.child.stderr!.on('data', (chunk: Buffer) => {
      if (logFile) appendFileSync(logFile, `[stderr] ${chunk.toString('utf8')}`);
      this.err += chunk.toString('utf8');
      if (this.err.length > 100_000) this.err = this.err.slice(-50_000);
    });
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve();
      }),
    );
  }

  started(): boolean {
    return this.events.includes('start');
  }

  /** Whether this process sent a request (discord.js's User-Agent carries `Herald/<pid>`). */
  sent(q: FakeRequest | undefined): boolean {
    return !!q?.userAgent && new RegExp(`Herald/${this.child.pid}(\\D|$)`).test(q.userAgent);
  }

  tail(): string {
    return `stdout (tail): ${this.out.slice(-3000)}\nstderr (tail): ${this.err.slice(-3000)}`;
  }

  async kill(signal: NodeJS.Signals): Promise<void> {
    if (this.exit) return;
    this.expectExit = true;
    this.child.kill(signal);
    await this.exited;
  }
}

interface FeedEntry {
  title: string;
  link: string;
  guid: string;
  pubDate: string;
  description: string;
}

/**
 * The soak's world: the fake Discord (guilds, channels, an admin), the feed server with FEEDS (a few old stories
 * each), and Herald as a process on one store, started, killed and restarted at will; in the `workers` topology a
 * gateway process plus worker processes, the workers killed and replaced at will.
 */
export class SoakWorld {
  /** The one Herald (`one`), or the gateway (`workers`). */
  herald: Herald | undefined;
  /** Every worker process started (`workers`), the killed ones too. */
  readonly workers: Herald[] = [];
  /** Herald exits the world did not cause, with the log tail. */
  readonly crashes: string[] = [];
  /** Herald's warn and error log lines, counted by level and event, over all its processes. */
  readonly warnings = new Map<string, number>();
  restarts = 0;
  private readonly published = new Map<string, FeedEntry[]>();
  /** The delivery queue (`workers`): to see whether any alert job still waits, e.g. for a retry. */
  private deliveryQueue: { queue: Queue; redis: Redis } | null = null;

  private constructor(
    readonly seed: number,
    readonly fake: FakeDiscord,
    readonly feeds: FeedServer,
    private readonly dir: string,
    private readonly storeUrl: string,
    readonly topology: SoakTopology,
  ) {}

  /** Herald's log lines go to `$HERALD_SOAK_LOG_DIR/seed-<seed>-<pid>.log` when that variable is set. */
  private get logFile(): string | undefined {
    const dir = process.env.HERALD_SOAK_LOG_DIR;
    if (!dir) return undefined;
    mkdirSync(dir, { recursive: true });
    return join(dir, `seed-${this.seed}-${process.pid}.log`);
  }

  static async open(seed: number, storeUrl?: string, topology: SoakTopology = 'one'): Promise<SoakWorld> {
    if (topology === 'workers' && !/^rediss?:/.test(storeUrl ?? '')) throw new Error('the soak with workers runs on Redis only: give it a redis:// store URL');
    const dir = mkdtempSync(join(tmpdir(), `herald-soak-${seed}-`));
    let url = storeUrl ?? `sqlite://${join(dir, 'herald.sqlite')}`;
    let feeds: FeedServer | undefined;
    try {
      if (/^rediss?:/.test(url)) url = await leaseRedisDatabase(url);
      feeds = await startFeedServer();
      const fake = await startFakeDiscord({
        token: TOKEN,
        applicationId: APP,
        botUserId: BOT,
        guilds: GUILDS.map((g) => ({
          id: g.id,
          name: g.name,
          channels: g.channels.map((c) => ({ id: c.id, name: c.name })),
          members: [{ id: ADMIN, username: 'admin', permissions: PermissionFlagsBits.Administrator }],
        })),
        // a loaded 2-core machine must not turn a slow command answer into a failure of the soak
        interactionAckTimeoutMs: 30_000,
      });
      const world = new SoakWorld(seed, fake, feeds, dir, url, topology);
      // Feeds start with a few old stories: the first fetch marks them seen, and they must never be posted.
      const t0Old = Date.now() - 3_600_000;
      for (const [i, path] of FEEDS.entries()) {
        world.published.set(
          path,
          [0, 1, 2].map((k) => ({
            title: `Old report ${seed}-${i}-${k}: ${KEYWORDS.join(' ')}`,
            link: `https://news.example/old/${seed}-${i}-${k}`,
            guid: `${path}#old-${k}`,
            pubDate: new Date(t0Old + k * 1000).toUTCString(),
            description: 'From before.',
          })),
        );
        world.render(path);
      }
      return world;
    } catch (error) {
      await feeds?.close();
      rmSync(dir, { recursive: true, force: true });
      await releaseRedisDatabase(url);
      throw error;
    }
  }

  /** A story appears at the top of a feed. */
  publish(path: string, story: Pick<Story, 'n' | 'title' | 'link'>): void {
    this.published.get(path)!.push({ title: story.title, link: story.link, guid: `${path}#${story.n}`, pubDate: new Date().toUTCString(), description: `Details of report ${story.n}.` });
    this.render(path);
  }

  private render(path: string): void {
    this.feeds.set(path, rssFeed({ title: `Soak feed ${path}`, link: 'https://news.example/', items: [...this.published.get(path)!].reverse() }), { contentType: 'application/rss+xml' });
  }

  /** Starts Herald on the world's store (`workers`: the gateway) and waits for its `start` log line. */
  async start(): Promise<Herald> {
    const h = this.launch(this.topology === 'workers' ? 'gateway' : undefined);
    this.herald = h;
    await this.started(h);
    return h;
  }

  /** Starts one more worker (`workers`) and waits for its `start` log line. */
  async startWorker(): Promise<Herald> {
    if (this.topology !== 'workers') throw new Error('startWorker is for the workers topology');
    const w = this.launch('worker');
    this.workers.push(w);
    await this.started(w);
    return w;
  }

  /** The workers still running. */
  liveWorkers(): Herald[] {
    return this.workers.filter((w) => !w.exit && !w.expectExit);
  }

  /** SIGKILLs a worker, leaves it dead for `deadMs` (its jobs' locks run out meanwhile), then starts a replacement. */
  async replaceWorker(victim: Herald, deadMs: number): Promise<void> {
    await victim.kill('SIGKILL');
    this.restarts++;
    if (deadMs) await sleep(deadMs);
    await this.startWorker();
  }

  private launch(role: 'gateway' | 'worker' | undefined): Herald {
    const h = new Herald(
      {
        PATH: process.env.PATH ?? '',
        DISCORD_TOKEN: TOKEN,
        DISCORD_API_URL: this.fake.apiUrl,
        STORE_URL: this.storeUrl,
        ALLOW_PRIVATE_ADDRESSES: 'true',
        POLL_CRON: '*/1 * * * * *',
        LOG_LEVEL: 'info',
        ...(role ? { HERALD_ROLE: role, JOB_LOCK_MS: String(SOAK_JOB_LOCK_MS) } : {}),
      },
      this.dir,
      this.warnings,
      this.logFile,
    );
    void h.exited.then(() => {
      if (!h.expectExit) this.crashes.push(`seed ${this.seed}: Herald (${h.role}, pid ${h.child.pid}) exited by itself ${JSON.stringify(h.exit)}\n${h.tail()}`);
    });
    return h;
  }

  private async started(h: Herald): Promise<void> {
    await until(`Herald (${h.role}) to start`, () => h.started(), 60_000, () => (h.exit ? `it exited (${JSON.stringify(h.exit)})\n${h.tail()}` : null));
  }

  /** Delivery jobs waiting, delayed (a retry, a channel's turn) or running (`workers`; none otherwise). */
  async deliveryJobs(): Promise<Record<string, number>> {
    if (this.topology !== 'workers') return {};
    if (!this.deliveryQueue) {
      const redis = new Redis(this.storeUrl, { maxRetriesPerRequest: null });
      this.deliveryQueue = { redis, queue: new Queue(DELIVERY_QUEUE, { connection: redis, prefix: queuePrefix(undefined) }) };
    }
    return this.deliveryQueue.queue.getJobCounts('waiting', 'delayed', 'active', 'prioritized');
  }

  /** SIGKILL, then a new Herald on the same store. */
  async restart(pauseMs = 0): Promise<void> {
    await this.herald?.kill('SIGKILL');
    this.restarts++;
    if (pauseMs) await sleep(pauseMs);
    await this.start();
  }

  /** Follows the feeds and subscribes the channels of GUILDS through slash commands. */
  async subscribe(): Promise<void> {
    for (const g of GUILDS) {
      const first = g.channels[0]!.id;
      for (const path of g.feeds) {
        const reply = await this.fake.runCommand({ guildId: g.id, channelId: first, userId: ADMIN, name: 'feed', subcommand: 'add', options: { url: this.feeds.url(path) }, timeoutMs: 30_000 });
        if (!/Following/.test(reply.content)) throw new Error(`/feed add ${path} in ${g.name}: ${reply.content}`);
      }
      for (const ch of g.channels) {
        for (const query of ch.queries) {
          const reply = await this.fake.runCommand({ guildId: g.id, channelId: first, userId: ADMIN, name: 'subscribe', options: { query, channel: ch.id }, timeoutMs: 30_000 });
          if (!/Subscribed/.test(reply.content)) throw new Error(`/subscribe ${query} in ${ch.name}: ${reply.content}`);
        }
      }
    }
  }

  /** Herald's alerts in a channel, in order. */
  alertsOf(channel: string): FakeMessage[] {
    return this.fake.messages(channel).filter((m) => m.authorId === BOT && m.embeds.length > 0);
  }

  /** When Herald last asked to create a message or add a reaction (ms epoch; 0 when never). */
  lastSendAt(): number {
    let last = 0;
    for (const q of this.fake.requests) if ((q.method === 'POST' && q.path.endsWith('/messages')) || q.method === 'PUT') last = Math.max(last, q.at);
    return last;
  }

  /** Waits for a condition, giving up early when Herald crashed. */
  until(what: string, cond: () => boolean, timeoutMs: number): Promise<void> {
    return until(what, cond, timeoutMs, () => (this.crashes.length ? this.crashes.join('\n') : null));
  }

  /** SIGTERM to every running Herald (at once); null when each exited 0, else what happened. */
  async stop(): Promise<string | null> {
    const running = [this.herald, ...this.liveWorkers()].filter((h): h is Herald => !!h && !h.exit);
    if (!running.length) return null;
    const t = Date.now();
    const outcomes = await Promise.all(
      running.map(async (h) => {
        await Promise.race([h.kill('SIGTERM'), sleep(30_000)]);
        return h.exit?.code === 0 ? null : `${h.role} SIGTERM → ${h.exit ? JSON.stringify(h.exit) : 'still running after 30 s'} (${Date.now() - t} ms)\n${h.tail()}`;
      }),
    );
    const bad = outcomes.filter((o): o is string => o !== null);
    return bad.length ? bad.join('\n') : null;
  }

  async close(): Promise<void> {
    for (const h of [this.herald, ...this.workers]) if (h && !h.exit) await h.kill('SIGKILL');
    await this.deliveryQueue?.queue.close().catch(() => undefined);
    this.deliveryQueue?.redis.disconnect();
    await this.fake.close();
    await this.feeds.close();
    rmSync(this.dir, { recursive: true, force: true });
    await releaseRedisDatabase(this.storeUrl);
  }
}

/** Counts each channel's alerts against what it should have. */
export function tally(world: SoakWorld, expected: Map<string, Set<string>>): Pick<SoakResult, 'expected' | 'delivered' | 'duplicates' | 'lost' | 'unexpected' | 'details' | 'line'> {
  let nExpected = 0;
  let delivered = 0;
  let duplicates = 0;
  let lost = 0;
  let unexpected = 0;
  const details: SoakResult['details'] = [];
  for (const [ch, links] of expected) {
    const byLink = new Map<string, FakeMessage[]>();
    for (const m of world.alertsOf(ch)) {
      const link = String(m.embeds[0]?.url);
      byLink.set(link, [...(byLink.get(link) ?? []), m]);
    }
    const d = { channel: ch, duplicates: [] as string[], lost: [] as string[], unexpected: [] as string[] };
    nExpected += links.size;
    for (const link of links) {
      const got = byLink.get(link) ?? [];
      if (got.length === 0) d.lost.push(link);
      else delivered++;
      if (got.length > 1) d.duplicates.push(`${link} ×${got.length} (nonces ${got.map((m) => String(m.nonce)).join(', ')})`);
      duplicates += Math.max(0, got.length - 1);
    }
    for (const [link, got] of byLink) {
      if (links.has(link)) continue;
      d.unexpected.push(`${link} ×${got.length}`);
      unexpected += got.length;
    }
    lost += d.lost.length;
    if (d.duplicates.length || d.lost.length || d.unexpected.length) details.push(d);
  }
  const line = `expected ${nExpected}, delivered ${delivered}, duplicates ${duplicates}, lost ${lost}`;
  return { expected: nExpected, delivered, duplicates, lost, unexpected, details, line };
}

export async function runSoak(opts: SoakOptions): Promise<SoakResult> {
  const log = opts.log ?? (() => undefined);
  const r = prng(opts.seed);
  const topology = opts.topology ?? 'one';
  const world = await SoakWorld.open(opts.seed, opts.storeUrl, topology);
  const { fake, feeds } = world;
  const tag = `seed ${opts.seed}/${opts.backend}`;
  try {
    // ---- setup through slash commands, before any fault ----
    await world.start();
    await world.subscribe();
    // workers: started once the follows and subscriptions are stored, so both begin with all of them (they read the
    // store at start; what changes later reaches them as change notices)
    if (topology === 'workers') await Promise.all([world.startWorker(), world.startWorker()]);
    log(`${tag}: set up ${GUILDS.length} guilds, ${GUILDS.flatMap((g) => g.channels).length} channels${topology === 'workers' ? ', a gateway and 2 workers' : ''}; publishing ${opts.stories} stories over ${opts.publishMs} ms with ${opts.kills} kills`);

    // ---- publishing, faults and kills ----
    const stories = planStories(opts.seed, opts.stories, opts.publishMs);
    const events = stories
      .flatMap((s) => [...s.at.entries()].map(([path, at]) => ({ at, path, s })))
      .sort((a, b) => a.at - b.at || a.s.n - b.s.n);
    fake.injectFaults({
      seed: opts.seed,
      route: /^(POST \/channels\/\d+\/messages|PUT \/channels\/\d+\/messages\/\d+\/reactions\/[^/]+\/@me)$/,
      ...(opts.faults ?? DEFAULT_FAULTS),
    });
    const killPlan = Array.from({ length: opts.kills }, () => ({
      at: Math.floor((0.1 + 0.85 * r()) * opts.publishMs),
      // half of the kills wait for the next lost answer: Discord created the message, Herald has not recorded it
      afterLost: r() < 0.5,
      pauseMs: Math.floor(r() * 800),
    })).sort((a, b) => a.at - b.at);

    const t0 = Date.now();
    const publisher = (async () => {
      for (const e of events) {
        const wait = t0 + e.at - Date.now();
        if (wait > 0) await sleep(wait);
        world.publish(e.path, e.s);
      }
    })();
    const lostAnswers = () => fake.faults.events.filter((e) => e.kind === 'lost-close' && e.method === 'POST').length;
    const isPost = (q: FakeRequest) => q.method === 'POST' && q.path.endsWith('/messages');
    const killer = (async () => {
      for (const k of killPlan) {
        const wait = t0 + k.at - Date.now();
        if (wait > 0) await sleep(wait);
        let lostRequest: FakeRequest | undefined;
        if (k.afterLost) {
          const seen = lostAnswers();
          const deadline = Date.now() + 5_000;
          while (lostAnswers() === seen && Date.now() < deadline) await sleep(5);
          lostRequest = fake.requests.findLast((q) => q.lost && isPost(q));
        }
        if (topology === 'one') {
          log(`${tag}: SIGKILL at +${Date.now() - t0} ms${k.afterLost ? ' (right after a lost answer)' : ''}; restarting`);
          await world.restart(k.pauseMs);
          continue;
        }
        // workers: the victim is a worker sending alerts: the one whose answer was just lost, else the one whose send
        // is in flight (or came last). It stays dead past JOB_LOCK_MS, so the surviving worker must take its jobs
        // over (BullMQ's stalled check); then a replacement starts (a new process: the killed one stays dead).
        const live = world.liveWorkers();
        const sender = (q: FakeRequest | undefined) => live.find((w) => w.sent(q));
        const victim =
          sender(lostRequest) ??
          sender(fake.requests.findLast((q) => isPost(q) && q.status === undefined)) ??
          sender(fake.requests.findLast(isPost)) ??
          live[0]!;
        const deadMs = SOAK_JOB_LOCK_MS + 500 + k.pauseMs * 4;
        const how = lostRequest && victim.sent(lostRequest) ? ' (right after its answer was lost)' : '';
        log(`${tag}: SIGKILL worker ${victim.child.pid} at +${Date.now() - t0} ms${how}; a replacement in ${deadMs} ms`);
        await world.replaceWorker(victim, deadMs);
      }
    })();
    await Promise.all([publisher, killer]);

    // ---- the end: Discord behaves again, one more restart picks up what waits for a retry, then quiet ----
    fake.injectFaults(null);
    // workers: no restart; a retry waits as a delayed job in Redis whoever runs it, so the end waits for the queue
    if (topology === 'one') await world.restart();
    const finalStart = Date.now();
    const expected = expectedByChannel(stories);
    let jobsPending = 0;
    let watching = topology === 'workers';
    const jobWatch = (async () => {
      let reported = Date.now();
      while (watching) {
        const counts = await world.deliveryJobs().catch(() => null);
        if (counts) jobsPending = Object.values(counts).reduce((a, b) => a + b, 0);
        if (counts && Date.now() - reported >= 10_000) {
          reported = Date.now();
          const delivered = [...expected].reduce((n, [ch, links]) => n + new Set(world.alertsOf(ch).map((m) => String(m.embeds[0]?.url)).filter((l) => links.has(l))).size, 0);
          log(`${tag}: drain +${Date.now() - finalStart} ms: delivered ${delivered}, delivery jobs ${JSON.stringify(counts)}`);
        }
        await sleep(200);
      }
    })();
    const allDelivered = () =>
      [...expected].every(([ch, links]) => {
        const got = new Set(world.alertsOf(ch).map((m) => String(m.embeds[0]?.url)));
        return [...links].every((l) => got.has(l));
      });
    // Herald has seen the final content of every feed once it fetched each twice since the final restart
    const fetchesBefore = feeds.requests.length;
    const sawFinalFeeds = () => FEEDS.every((p) => feeds.requests.slice(fetchesBefore).filter((q) => q.path === p && q.status > 0).length >= 2);
    const quiet = () => Date.now() - world.lastSendAt();
    const done = () => sawFinalFeeds() && jobsPending === 0 && (allDelivered() ? quiet() > (opts.quietMs ?? 1500) : quiet() > (opts.idleMs ?? 10_000));
    try {
      await world.until('Herald to deliver everything and go quiet', done, opts.drainTimeoutMs ?? 180_000);
    } catch (error) {
      log(`${tag}: ${(error as Error).message.split('\n')[0]}; counting what is missing as lost`);
    } finally {
      watching = false;
      await jobWatch;
    }
    const finalDrainMs = Date.now() - finalStart;
    if (!allDelivered()) log(`${tag}: Herald went idle ${finalDrainMs} ms after the final restart with alerts missing`);

    const counted = tally(world, expected);
    const uncleanStop = await world.stop();
    return {
      seed: opts.seed,
      backend: opts.backend,
      ...counted,
      crashes: world.crashes,
      uncleanStop,
      restarts: world.restarts,
      faults: fake.faults.counts(),
      nonceHits: fake.nonceHits,
      problems: [...fake.problems],
      warnings: Object.fromEntries(world.warnings),
      finalDrainMs,
    };
  } finally {
    await world.close();
  }
}

/**
 * The soak empties the Redis database it runs on, so each run leases one of its own: the first of databases 9–15 (or
 * only HERALD_SOAK_REDIS_DB) whose lease key it can SET NX. Runs side by side (test files, checkouts, CI) never share
 * a database; a lease a killed run left behind expires after LEASE_MS.
 */
export function soakRedisUrl(url: string): string {
  return url;
}

const LEASE_KEY = 'herald:soak:lease';
const LEASE_MS = 15 * 60_000;
const leases = new Map<string, string>();

async function withRedis<T>(url: string, use: (client: Awaited<ReturnType<typeof connectRedis>>) => Promise<T>): Promise<T> {
  const client = await connectRedis(url);
  try {
    return await use(client);
  } finally {
    await client.quit();
  }
}

async function connectRedis(url: string) {
  const { createClient } = await import('@keyv/redis');
  const client = createClient({ url });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** Leases a database, empties it (a run starts from a blank store) and answers its URL. */
async function leaseRedisDatabase(url: string): Promise<string> {
  const fixed = process.env.HERALD_SOAK_REDIS_DB;
  const candidates = fixed ? [Number(fixed)] : [9, 10, 11, 12, 13, 14, 15];
  const token = `${process.pid}-${Math.random().toString(36).slice(2)}`;
  for (let round = 0; round < 600; round++) {
    for (const db of candidates) {
      const u = new URL(url);
      u.pathname = `/${db}`;
      const leased = u.toString();
      const got = await withRedis(leased, async (client) => {
        if ((await client.set(LEASE_KEY, token, { NX: true, PX: LEASE_MS })) !== 'OK') return false;
        await client.flushDb();
        await client.set(LEASE_KEY, token, { PX: LEASE_MS });
        return true;
      });
      if (got) {
        leases.set(leased, token);
        return leased;
      }
    }
    await new Promise((r) => setTimeout(r, 1000)); // every database is leased: wait for one
  }
  throw new Error(`no free Redis database for the soak among ${candidates.join(', ')}`);
}

async function releaseRedisDatabase(url: string): Promise<void> {
  const token = leases.get(url);
  if (!token) return;
  leases.delete(url);
  await withRedis(url, async (client) => {
    if ((await client.get(LEASE_KEY)) === token) await client.del(LEASE_KEY);
  }).catch(() => undefined);
}

/** Every Herald process still running. */
const live = new Set<ChildProcess>();

/** SIGKILLs every Herald a soak started that is still running (afterAll safety net: a timed-out test leaves no orphan). */
export function killStrayHeralds(): number {
  let n = 0;
  for (const c of live) {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill('SIGKILL');
      n++;
    }
  }
  live.clear();
  return n;
}
process.once('exit', () => killStrayHeralds());
