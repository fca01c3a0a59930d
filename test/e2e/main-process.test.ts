// `npm start` as a process (node on the compiled JavaScript, as `npm start` runs it): JSON log lines, commands
// registered, clean stop on SIGTERM even when the signal is repeated at once, the token never logged; without a token
// or before a build, one clear line on what to do.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PermissionFlagsBits } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildHerald, type BuiltHerald } from '../harness/built.js';
import { startFakeDiscord, type FakeDiscord } from '../harness/fake-discord.js';
import { rssFeed, startFeedServer, type FeedServer } from '../harness/feed-server.js';
import { serverBackends } from '../store/backends.js';

const TOKEN = 'main-process-secret-token';
const GUILD = '130000000000000001';
const CHANNEL = '230000000000000001';
const ADMIN = '330000000000000001';
const MANAGE = PermissionFlagsBits.ViewChannel | PermissionFlagsBits.SendMessages | PermissionFlagsBits.ManageChannels;
const guilds = [{ id: GUILD, name: 'Process', channels: [{ id: CHANNEL, name: 'general' }], members: [{ id: ADMIN, username: 'admin', permissions: MANAGE }] }];
let discord: FakeDiscord;
let feeds: FeedServer;
let dir: string;
let herald: BuiltHerald;

beforeAll(async () => {
  herald = buildHerald(); // `npm run build`, once per source version
  dir = mkdtempSync(join(tmpdir(), 'herald-main-'));
  feeds = await startFeedServer();
  discord = await startFakeDiscord({ token: TOKEN, applicationId: '430000000000000001', botUserId: '430000000000000002', guilds });
}, 180_000);

afterAll(async () => {
  await discord?.close();
  await feeds?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** `npm start` (node dist/src/main.js) as a child process against a fake Discord. */
function startHerald(fake: FakeDiscord, store = join(dir, 'data', 'herald.sqlite'), env: Record<string, string> = {}) {
  // Run from an empty folder, as a fresh install would, so .env and data/ of the checkout play no part.
  const child = spawn(process.execPath, [herald.main], {
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      DISCORD_TOKEN: TOKEN,
      DISCORD_API_URL: fake.apiUrl,
      STORE_URL: `sqlite://${store}`,
      POLL_CRON: '0 0 1 1 *',
      LOG_LEVEL: 'info',
      ALLOW_PRIVATE_ADDRESSES: 'true',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk) => (out.stdout += chunk));
  child.stderr.on('data', (chunk) => (out.stderr += chunk));
  // 'close', not 'exit': 'exit' can come before the last of the child's output has been read
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const until = async (what: string, done: () => boolean) => {
    const deadline = Date.now() + 20_000;
    while (!done()) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`Herald never got to: ${what}.\nstdout: ${out.stdout}\nstderr: ${out.stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { child, out, exited, until };
}

it('starts, logs structured lines, and stops cleanly on SIGTERM', async () => {
  const { child, out, exited, until } = startHerald(discord);
  await until('started', () => out.stdout.includes('"event":"start"'));
  expect(discord.registeredCommands().map((c) => c.name)).toContain('subscribe');
  child.kill('SIGTERM');
  expect(await exited).toBe(0);

  const lines = out.stdout.trim().split('\n');
  for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
  const events = lines.map((l) => JSON.parse(l).event);
  expect(events).toContain('start');
  expect(events).toContain('stop');
  expect(out.stdout + out.stderr).not.toContain(TOKEN);
  expect(discord.problems).toEqual([]);
});

it('a second Herald on the same SQLite file is refused with what to do; the first runs on', async () => {
  const store = join(dir, 'one-process.sqlite');
  const first = startHerald(discord, store);
  await first.until('started', () => first.out.stdout.includes('"event":"start"'));
  const second = startHerald(discord, store);
  expect(await second.exited).toBe(1);
  expect(second.out.stderr).toMatch(new RegExp(`Another Herald \\(pid ${first.child.pid}\\) is already running on .*one-process\\.sqlite`));
  expect(second.out.stderr).toContain('Scaling out');
  expect(first.child.exitCode).toBeNull();
  first.child.kill('SIGTERM');
  expect(await first.exited).toBe(0);
  // once the first has stopped, the file is free again
  const third = startHerald(discord, store);
  await third.until('started', () => third.out.stdout.includes('"event":"start"'));
  third.child.kill('SIGTERM');
  expect(await third.exited).toBe(0);
});

const POSTGRES = process.env.HERALD_TEST_POSTGRES_URL;

it.skipIf(!POSTGRES)('a second Herald on the same PostgreSQL database is refused with what to do; a crash frees it (needs HERALD_TEST_POSTGRES_URL)', async () => {
  const prefix = `main${Math.random().toString(36).replace(/[^a-z]/g, '').slice(0, 10)}`;
  const env = { STORE_URL: POSTGRES!, STORE_PREFIX: prefix };
  const first = startHerald(discord, undefined, env);
  await first.until('started', () => first.out.stdout.includes('"event":"start"'));
  const second = startHerald(discord, undefined, env);
  expect(await second.exited).toBe(1);
  expect(second.out.stderr).toContain(`Another Herald (herald pid ${first.child.pid} on `);
  expect(second.out.stderr).toContain(`is already running on this PostgreSQL database (STORE_URL, STORE_PREFIX=${prefix})`);
  expect(second.out.stderr).toContain('Scaling out');
  expect(first.child.exitCode).toBeNull();
  // killed: its session ends and PostgreSQL drops the lock with it
  first.child.kill('SIGKILL');
  await first.exited;
  const third = startHerald(discord, undefined, env);
  await third.until('started', () => third.out.stdout.includes('"event":"start"'));
  third.child.kill('SIGTERM');
  expect(await third.exited).toBe(0);
  await serverBackends().find((b) => b.name === 'postgres')!.cleanup(prefix);
});

it('a SIGTERM while still starting stops it cleanly once started', async () => {
  const slow = await startFakeDiscord({ token: TOKEN, applicationId: '430000000000000001', botUserId: '430000000000000002', guilds, readyDelayMs: 1_500 });
  try {
    const { child, out, exited, until } = startHerald(slow);
    await until('IDENTIFY', () => slow.identifyCount > 0);
    expect(out.stdout).not.toContain('"event":"start"');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const events = out.stdout.trim().split('\n').map((l) => JSON.parse(l).event);
    expect(events.indexOf('signal')).toBeGreaterThanOrEqual(0);
    expect(events.indexOf('signal')).toBeLessThan(events.indexOf('start'));
    expect(events.at(-1)).toBe('stop');
    expect(slow.problems).toEqual([]);
  } finally {
    await slow.close();
  }
});

it('two SIGTERMs 10 ms apart while alerts are being sent: a clean stop, every alert delivered once', async () => {
  const story = (i: number) => ({ guid: `k${i}`, title: `Korea story ${i}`, link: `https://news.example/k${i}`, description: `Korea news ${i}.` });
  feeds.set('/korea.xml', rssFeed({ title: 'Korea Wire', items: [story(0)] }));
  const store = join(dir, 'signals.sqlite');

  // First run: follow the feed and subscribe (its current item counts as seen), then stop.
  const setup = startHerald(discord, store);
  await setup.until('started', () => setup.out.stdout.includes('"event":"start"'));
  const run = (name: string, options: Record<string, unknown>, subcommand?: string) => discord.runCommand({ guildId: GUILD, channelId: CHANNEL, userId: ADMIN, name, subcommand, options });
  expect((await run('feed', { url: feeds.url('/korea.xml') }, 'add')).content).toContain('Following **Korea Wire**');
  expect((await run('subscribe', { query: 'Korea' })).content).toContain('Subscribed');
  setup.child.kill('SIGTERM');
  expect(await setup.exited).toBe(0);

  // Six new stories; Discord makes the first sends wait (429, retry after 1 s), so they are in flight for a while.
  feeds.set('/korea.xml', rssFeed({ title: 'Korea Wire', items: [1, 2, 3, 4, 5, 6].map(story).concat(story(0)) }));
  discord.failNext(/^POST \/channels\/\d+\/messages$/, { status: 429, retryAfterSeconds: 1 }, 2);
  const before = discord.messages(CHANNEL).length;
  const sends = () => discord.requests.filter((r) => r.method === 'POST' && r.path === `/channels/${CHANNEL}/messages`).length;
  const sendsBefore = sends();

  const { child, out, exited, until } = startHerald(discord, store);
  await until('the first alert send', () => sends() > sendsBefore);
  child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 10));
  child.kill('SIGTERM'); // what a wrapper (tsx, npm, a process manager) does when the child is slow to react
  expect(await exited).toBe(0);

  const events = out.stdout.trim().split('\n').map((l) => JSON.parse(l).event);
  expect(events).toContain('signal');
  expect(events).toContain('signal.repeated');
  expect(events).not.toContain('signal.force');
  expect(events.at(-1)).toBe('stop');
  const alerts = discord.messages(CHANNEL).slice(before).map((m) => m.embeds[0]?.title as string);
  expect(alerts.sort()).toEqual([1, 2, 3, 4, 5, 6].map((i) => `**Korea** story ${i}`).sort());
  expect(discord.problems).toEqual([]);
});

describe('npm start without a token', () => {
  it('says what to set and where, without a stack trace', () => {
    // From an empty folder, so a developer's own .env plays no part.
    const run = spawnSync(process.execPath, [herald.main], { encoding: 'utf8', cwd: dir, env: { PATH: process.env.PATH } });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('DISCORD_TOKEN');
    expect(run.stderr).toContain('discord.com/developers/applications');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('npm start before a build (scripts/ensure-build.mjs, its prestart step)', () => {
  it('without TypeScript installed, says exactly what to run when dist/ is missing or older than the sources', () => {
    // A checkout outside this repository, so no node_modules (and no tsc) can be found from it: a pruned install.
    const root = mkdtempSync(join(tmpdir(), 'herald-prestart-'));
    try {
      mkdirSync(join(root, 'scripts'));
      mkdirSync(join(root, 'src'));
      copyFileSync(join(process.cwd(), 'scripts', 'ensure-build.mjs'), join(root, 'scripts', 'ensure-build.mjs'));
      writeFileSync(join(root, 'src', 'main.ts'), 'export {};\n');
      const check = () => spawnSync(process.execPath, [join(root, 'scripts', 'ensure-build.mjs')], { encoding: 'utf8' });

      const missing = check();
      expect(missing.status).toBe(1);
      expect(missing.stderr).toContain("Herald isn't built yet (no dist/), and TypeScript isn't installed here to build it.");
      expect(missing.stderr).toContain('Build it with: npm ci && npm run build && npm prune --omit=dev');

      mkdirSync(join(root, 'dist', 'src'), { recursive: true });
      for (const file of ['main.js', 'cli.js']) writeFileSync(join(root, 'dist', 'src', file), '');
      const old = new Date(Date.now() - 60_000);
      utimesSync(join(root, 'src', 'main.ts'), old, old);
      expect(check().status).toBe(0); // built after the last source change: runs as it is

      const later = new Date(Date.now() + 60_000);
      utimesSync(join(root, 'src', 'main.ts'), later, later);
      const stale = check();
      expect(stale.status).toBe(1);
      expect(stale.stderr).toContain('dist/ is older than the sources in src/ and commands/');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
