// Herald scaled out: two gateway processes (one shard each) and two workers, as `npm start` runs them, on one Redis
// (HERALD_TEST_REDIS_URL), against a fake Discord that shards like Discord. A subscription made through shard 1
// reaches both workers; each feed is fetched once per cycle; votes on both shards are all counted; a worker killed
// with SIGKILL while Discord is answering its send leaves its jobs to the other, and every alert is posted once.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PermissionFlagsBits } from 'discord.js';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildHerald, type BuiltHerald } from '../harness/built.js';
import { startFakeDiscord, type FakeChannelSpec, type FakeDiscord, type FakeGuildSpec, type FakeMessage } from '../harness/fake-discord.js';
import { rssFeed, startFeedServer, type FeedServer } from '../harness/feed-server.js';

const REDIS = process.env.HERALD_TEST_REDIS_URL;
const TOKEN = 'scale-out-secret-token';
const APP = '530000000000000001';
// (id >> 22) % 2: GUILD_A is on shard 0, GUILD_B on shard 1
const GUILD_A = '100000000000000001';
const GUILD_B = '100000000004194305';
const CH_A = '630000000000000001';
const CH_B = '630000000000000002';
/** GUILD_B's system channel, where Herald may not post, and a channel where it may */
const CH_B_RULES = '630000000000000003';
const CH_B_LOBBY = '630000000000000004';
const BOT = '530000000000000002';
const ADMIN = '730000000000000001';
const VOTERS = Array.from({ length: 8 }, (_, i) => `73000000000000010${i}`);
const MANAGE = PermissionFlagsBits.ViewChannel | PermissionFlagsBits.SendMessages | PermissionFlagsBits.ManageChannels;
/** Every 3 seconds: cycles short enough for a test, long enough to count fetches per cycle. */
const CYCLE_MS = 3_000;
const WAIT_MS = 45_000;
const TEST_MS = 180_000;

interface Proc {
  name: string;
  child: ChildProcess;
  lines: Array<Record<string, unknown>>;
  text: () => string;
}

const procs: Proc[] = [];
let discord: FakeDiscord;
let feeds: FeedServer;
let herald: BuiltHerald;
let dir: string;
const prefix = `scale${Math.random().toString(36).replace(/[^a-z]/g, '').slice(0, 8)}`;

function start(name: string, env: Record<string, string>): Proc {
  const child = spawn(process.execPath, [herald.main], {
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      DISCORD_TOKEN: TOKEN,
      DISCORD_API_URL: discord.apiUrl,
      STORE_URL: REDIS!,
      STORE_PREFIX: prefix,
      POLL_CRON: `*/${CYCLE_MS / 1000} * * * * *`,
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
      ALLOW_PRIVATE_ADDRESSES: 'true',
      FETCH_ARTICLES: 'false',
      JOB_LOCK_MS: '2000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const proc: Proc = { name, child, lines: [], text: () => '' };
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk;
    let nl: number;
    while ((nl = out.indexOf('\n')) >= 0) {
      const line = out.slice(0, nl);
      out = out.slice(nl + 1);
      try {
        proc.lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        /* not JSON: kept in text() */
      }
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk));
  proc.text = () => `${proc.lines.map((l) => JSON.stringify(l)).join('\n')}\n${out}\nstderr: ${err}`;
  procs.push(proc);
  return proc;
}

async function until<T>(what: string, probe: () => T | undefined | false | null, ms = WAIT_MS): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value) return value;
    const dead = procs.find((p) => p.child.exitCode !== null && !p.name.endsWith('(killed)') && !p.name.endsWith('(refused)'));
    if (dead) throw new Error(`${dead.name} exited while waiting for ${what}:\n${dead.text()}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${procs.map((p) => `--- ${p.name}\n${p.text().slice(-3000)}`).join('\n')}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const logged = (p: Proc, event: string, match: (l: Record<string, unknown>) => boolean = () => true) => p.lines.some((l) => l.event === event && match(l));
const alerts = (channelId: string) => discord.messages(channelId).filter((m) => m.authorId !== ADMIN && m.embeds.length > 0);
/** The alerts in a channel for a story (by its link: the embed's title carries highlights). */
const titled = (channelId: string, title: string) => alerts(channelId).filter((m: FakeMessage) => m.embeds[0]?.url === linkOf(title));
const links = new Map<string, string>();
const linkOf = (title: string) => links.get(title);
const story = (id: string, title: string) => {
  links.set(title, `https://news.example/${id}`);
  return { guid: id, title, link: `https://news.example/${id}`, description: `${title}: the full story.` };
};

async function cleanRedis(): Promise<void> {
  const redis = new Redis(REDIS!);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `*${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

describe.skipIf(!REDIS)('scale-out: 2 gateway shards + 2 workers on one Redis', () => {
  let gateway0: Proc;
  let gateway1: Proc;
  let workers: Proc[];
  const items = [story('k0', 'Korea: yesterday’s story')];

  beforeAll(async () => {
    herald = buildHerald();
    dir = mkdtempSync(join(tmpdir(), 'herald-scale-'));
    feeds = await startFeedServer();
    feeds.set('/wire.xml', rssFeed({ title: 'Korea Wire', items }));
    const guild = (id: string, channels: FakeChannelSpec[], more: Partial<FakeGuildSpec> = {}): FakeGuildSpec => ({
      id,
      name: `guild ${id}`,
      channels,
      members: [{ id: ADMIN, username: 'admin', permissions: MANAGE }, ...VOTERS.map((v, i) => ({ id: v, username: `voter${i}` }))],
      ...more,
    });
    const rules = { id: CH_B_RULES, name: 'rules', overwrites: [{ id: BOT, type: 'member' as const, deny: PermissionFlagsBits.SendMessages }] };
    discord = await startFakeDiscord({
      token: TOKEN,
      applicationId: APP,
      botUserId: BOT,
      shardCount: 2,
      // as Discord: one IDENTIFY per 5 s for the whole bot (max_concurrency 1); one more is answered Invalid Session
      identifyWindowMs: 5_000,
      guilds: [guild(GUILD_A, [{ id: CH_A, name: 'news' }]), guild(GUILD_B, [{ id: CH_B, name: 'news' }, rules, { id: CH_B_LOBBY, name: 'lobby' }], { systemChannelId: CH_B_RULES })],
    });
    gateway0 = start('gateway 0', { HERALD_ROLE: 'gateway', SHARDS: '0', SHARD_COUNT: '2' });
    gateway1 = start('gateway 1', { HERALD_ROLE: 'gateway', SHARDS: '1', SHARD_COUNT: '2' });
    workers = [start('worker 1', { HERALD_ROLE: 'worker' }), start('worker 2', { HERALD_ROLE: 'worker' })];
    await until('every process started', () => procs.every((p) => logged(p, 'start')));
  }, 180_000);

  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await discord?.close();
    await feeds?.close();
    if (REDIS) await cleanRedis();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('each gateway identifies its own shard, the two in turn as Discord allows; only the one running shard 0 registers the commands', () => {
    expect([...discord.identifiedShards].sort()).toEqual([
      [0, 2],
      [1, 2],
    ]);
    // started together, the two gateways took turns through Redis: 5 s apart, and Discord refused neither
    const [first, second] = discord.identifies;
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(5_000);
    expect(discord.problems.filter((p) => p.includes('IDENTIFY'))).toEqual([]);
    const waited = [gateway0, gateway1].filter((g) => logged(g, 'gateway.identify_wait'));
    expect(waited).toHaveLength(1);
    const registrations = discord.requests.filter((r) => r.method === 'PUT' && r.path.startsWith(`/applications/${APP}/`));
    expect(registrations).toHaveLength(1);
    expect(registrations[0]!.userAgent).toContain(`Herald/${gateway0.child.pid}`);
    expect(gateway0.lines.find((l) => l.event === 'start')).toMatchObject({ role: 'gateway', shards: [0] });
    expect(gateway1.lines.find((l) => l.event === 'start')).toMatchObject({ role: 'gateway', shards: [1], commands: 0 });
  });

  it('a Herald with HERALD_ROLE=all started beside them is refused, saying what to set; they run on', async () => {
    const all = start('all (refused)', {});
    // 'close', not 'exit': 'exit' can come before the last of its output has been read
    const code = await new Promise<number | null>((resolve) => all.child.once('close', (c) => resolve(c)));
    expect(code).toBe(1);
    const said = all.text();
    expect(said).toMatch(/Gateways or workers already run on this Redis \(STORE_URL, STORE_PREFIX=scale[a-z]*\) \((gateway|worker) pid \d+/);
    expect(said).toContain('set HERALD_ROLE=gateway or worker here too');
    expect(said).not.toMatch(/\n\s+at /); // no stack trace
    expect(logged(all, 'start')).toBe(false);
    for (const p of [gateway0, gateway1, ...workers]) expect(p.child.exitCode).toBeNull();
  });

  it('a subscription made through shard 1 reaches both workers, and the next poll alerts both servers once', async () => {
    const run = (guildId: string, channelId: string, name: string, options: Record<string, unknown>, subcommand?: string) =>
      discord.runCommand({ guildId, channelId, userId: ADMIN, name, subcommand, options, timeoutMs: WAIT_MS });
    expect((await run(GUILD_A, CH_A, 'feed', { url: feeds.url('/wire.xml') }, 'add')).content).toContain('Following **Korea Wire**');
    expect((await run(GUILD_B, CH_B, 'feed', { url: feeds.url('/wire.xml') }, 'add')).content).toContain('Following **Korea Wire**');
    expect((await run(GUILD_A, CH_A, 'subscribe', { query: 'Korea' })).content).toContain('Subscribed');
    const reply = await run(GUILD_B, CH_B, 'subscribe', { query: 'Korea' });
    expect(reply.content).toContain('Subscribed');
    // the interactions went to the shard of their guild only
    const interactions = discord.dispatched.filter((d) => d.t === 'INTERACTION_CREATE');
    expect(interactions.filter((d) => d.guildId === GUILD_B).every((d) => d.shard === 1)).toBe(true);
    expect(interactions.filter((d) => d.guildId === GUILD_A).every((d) => d.shard === 0)).toBe(true);
    // The reply reaches the fake Discord and the log line reaches us through a pipe: either may be read first.
    const created = await until('shard 1 to log the subscription', () => gateway1.lines.find((l) => l.event === 'subscription.create' && l.guild === GUILD_B));
    const id = created.subscription as string;
    for (const w of workers) await until(`${w.name} to hear of subscription ${id}`, () => logged(w, 'subscription.synced', (l) => l.subscription === id));

    // the feed had one item when followed: polls from now on see only what is new
    const from = Date.now();
    items.unshift(story('k1', 'Korea talks resume at the border'));
    feeds.set('/wire.xml', rssFeed({ title: 'Korea Wire', items }));
    await until('the alert in both servers', () => titled(CH_A, 'Korea talks resume at the border').length && titled(CH_B, 'Korea talks resume at the border').length);
    // a few more cycles, to count fetches
    await new Promise((r) => setTimeout(r, 3 * CYCLE_MS));
    const to = Date.now();
    expect(titled(CH_A, 'Korea talks resume at the border')).toHaveLength(1);
    expect(titled(CH_B, 'Korea talks resume at the border')).toHaveLength(1);

    // Each feed once per cycle, whichever worker polls it: at most one fetch per cron tick in the window, plus one
    // for a tick at its edge and one for a job retried on a busy machine (a lock that lapsed); two processes each
    // polling everything would fetch it twice per tick (the window has at least 3 ticks, so 2 × ticks > ticks + 2).
    const fetches = feeds.requests.filter((r) => r.path === '/wire.xml' && r.at >= from && r.at <= to);
    const ticks = Math.floor(to / CYCLE_MS) - Math.floor(from / CYCLE_MS);
    expect(ticks).toBeGreaterThanOrEqual(3);
    expect(fetches.length).toBeGreaterThanOrEqual(2);
    expect(fetches.length).toBeLessThanOrEqual(ticks + 2);
  }, TEST_MS);

  it('votes from both shards are all counted', async () => {
    const title = 'Korea talks resume at the border';
    const onA = titled(CH_A, title)[0]!;
    const onB = titled(CH_B, title)[0]!;
    const emoji = ['1️⃣', '2️⃣', '3️⃣', '4️⃣', '5️⃣'];
    // everyone at once, on both servers (so on both gateway processes), each voter a different number
    VOTERS.forEach((voter, i) => {
      discord.addReaction({ channelId: CH_A, messageId: onA.id, userId: voter, emoji: emoji[i % 5]! });
      discord.addReaction({ channelId: CH_B, messageId: onB.id, userId: voter, emoji: emoji[(i + 2) % 5]! });
    });
    const shows = (m: FakeMessage) => JSON.stringify(m.embeds[0]?.fields ?? []).includes(`${VOTERS.length} votes`);
    await discord.waitForEdit(CH_A, onA.id, shows, WAIT_MS);
    await discord.waitForEdit(CH_B, onB.id, shows, WAIT_MS);
    const reactions = discord.dispatched.filter((d) => d.t === 'MESSAGE_REACTION_ADD');
    expect(reactions.filter((d) => d.guildId === GUILD_A).every((d) => d.shard === 0)).toBe(true);
    expect(reactions.filter((d) => d.guildId === GUILD_B).every((d) => d.shard === 1)).toBe(true);
  }, TEST_MS);

  it('a worker killed with SIGKILL while Discord answers its send: its jobs finish on the other, each alert once', async () => {
    // Discord makes the next alert in CH_A and answers late: the message exists, the sender hears nothing for 20 s.
    discord.failNext(new RegExp(`^POST /channels/${CH_A}/messages$`), { lateAnswerMs: 20_000 }, 1);
    const fresh = [story('k2', 'Korea summit dates set for spring'), story('k3', 'Korea rail link reopens after a decade')];
    items.unshift(...fresh);
    feeds.set('/wire.xml', rssFeed({ title: 'Korea Wire', items }));
    const inFlight = await until('a send to CH_A waiting for its answer', () =>
      discord.requests.find((r) => r.method === 'POST' && r.path === `/channels/${CH_A}/messages` && r.status === undefined),
    );
    const victim = workers.find((w) => inFlight.userAgent?.includes(`Herald/${w.child.pid}`));
    expect(victim, `the send came from a worker (${inFlight.userAgent})`).toBeDefined();
    const survivor = workers.find((w) => w !== victim)!;
    victim!.name += ' (killed)';
    victim!.child.kill('SIGKILL');

    for (const { title } of fresh) {
      await until(`"${title}" in both servers`, () => titled(CH_A, title).length && titled(CH_B, title).length);
    }
    // let any second send land before counting
    await new Promise((r) => setTimeout(r, 3 * CYCLE_MS));
    for (const { title } of fresh) {
      expect(titled(CH_A, title)).toHaveLength(1);
      expect(titled(CH_B, title)).toHaveLength(1);
    }
    // the survivor took over: it sent to CH_A after the kill (the resend Discord answered by its nonce, or the next alert)
    const after = discord.requests.filter((r) => r.method === 'POST' && r.path === `/channels/${CH_A}/messages` && r.at > inFlight.at);
    expect(after.some((r) => r.userAgent?.includes(`Herald/${survivor.child.pid}`))).toBe(true);
    // the send in flight when its worker died was made again with its nonce, and Discord answered with that message
    expect(discord.nonceHits).toBeGreaterThan(0);
    expect(discord.problems).toEqual([]);
  }, TEST_MS);

  it('a worker pauses a channel where Herald may no longer post, and tells the server where it can (read from Discord: a worker has no cache)', async () => {
    discord.setOverwrites(CH_B, [{ id: BOT, type: 'member', deny: PermissionFlagsBits.SendMessages }]);
    const title = 'Korea ferry service returns';
    items.unshift(story('k4', title));
    feeds.set('/wire.xml', rssFeed({ title: 'Korea Wire', items }));
    await until(`"${title}" in the first server`, () => titled(CH_A, title).length);
    // the server's system channel refuses Herald, so the notice goes to the first channel where Herald may post
    const notice = await until('the channel-paused notice', () => discord.messages(CH_B_LOBBY).find((m) => m.content.includes(`Herald paused the alerts for <#${CH_B}>`)));
    // what Herald lacks there, read from Discord too (Discord's refusal alone does not say)
    expect(notice.content).toContain('it lacks **Send Messages** there');
    expect(notice.content).toContain('/subscriptions resume');
    expect(discord.requests.filter((r) => r.method === 'POST' && r.path === `/channels/${CH_B_RULES}/messages`)).toEqual([]);
    expect(titled(CH_B, title)).toEqual([]);
    expect(discord.problems).toEqual([]);
  }, TEST_MS);
});

if (!REDIS) {
  describe('scale-out', () => {
    it.skip('skipped: set HERALD_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379) to run two gateways and two workers on Redis', () => undefined);
  });
}
