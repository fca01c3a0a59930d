// `npm start` as a process: JSON log lines, commands registered, clean stop on SIGTERM, the token never logged.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startFakeDiscord, type FakeDiscord } from '../harness/fake-discord.js';

const TOKEN = 'main-process-secret-token';
const GUILD = '130000000000000001';
let discord: FakeDiscord;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'herald-main-'));
  discord = await startFakeDiscord({
    token: TOKEN,
    applicationId: '430000000000000001',
    botUserId: '430000000000000002',
    guilds: [{ id: GUILD, name: 'Process', channels: [{ id: '230000000000000001', name: 'general' }], members: [] }],
  });
});

afterAll(async () => {
  await discord?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** `npm start`'s entry point as a child process against a fake Discord. */
function startHerald(fake: FakeDiscord) {
  // Run from an empty folder, as a fresh install would, so .env and data/ of the checkout play no part.
  const tsx = pathToFileURL(join(process.cwd(), 'node_modules/tsx/dist/loader.mjs')).href;
  const child = spawn(process.execPath, ['--import', tsx, join(process.cwd(), 'src/main.ts')], {
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      DISCORD_TOKEN: TOKEN,
      DISCORD_API_URL: fake.apiUrl,
      STORE_URL: `sqlite://${join(dir, 'data', 'herald.sqlite')}`,
      POLL_CRON: '0 0 1 1 *',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk) => (out.stdout += chunk));
  child.stderr.on('data', (chunk) => (out.stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
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

it('a SIGTERM while still starting stops it cleanly once started', async () => {
  const slow = await startFakeDiscord({
    token: TOKEN,
    applicationId: '430000000000000001',
    botUserId: '430000000000000002',
    guilds: [{ id: GUILD, name: 'Process', channels: [{ id: '230000000000000001', name: 'general' }], members: [] }],
    readyDelayMs: 1_500,
  });
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
