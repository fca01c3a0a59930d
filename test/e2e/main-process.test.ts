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

it('starts, logs structured lines, and stops cleanly on SIGTERM', async () => {
  // Run from an empty folder, as a fresh install would, so .env and data/ of the checkout play no part.
  const tsx = pathToFileURL(join(process.cwd(), 'node_modules/tsx/dist/loader.mjs')).href;
  const child = spawn(process.execPath, ['--import', tsx, join(process.cwd(), 'src/main.ts')], {
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      DISCORD_TOKEN: TOKEN,
      DISCORD_API_URL: discord.apiUrl,
      STORE_URL: `sqlite://${join(dir, 'data', 'herald.sqlite')}`,
      POLL_CRON: '0 0 1 1 *',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

  const deadline = Date.now() + 20_000;
  while (!stdout.includes('"event":"start"')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`Herald did not start.\nstdout: ${stdout}\nstderr: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  expect(discord.registeredCommands().map((c) => c.name)).toContain('subscribe');
  child.kill('SIGTERM');
  expect(await exited).toBe(0);

  const lines = stdout.trim().split('\n');
  for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
  const events = lines.map((l) => JSON.parse(l).event);
  expect(events).toContain('start');
  expect(events).toContain('stop');
  expect(stdout + stderr).not.toContain(TOKEN);
  expect(discord.problems).toEqual([]);
});
