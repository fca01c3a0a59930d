// Slash commands are registered (one bulk PUT) only when their definitions changed since the last registration for
// the same application and scope: a restart on the same store sends none; a changed definition sends one.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { PermissionFlagsBits, SlashCommandBuilder } from 'discord.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { commands } from '../../commands/index.js';
import { startApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/log.js';
import { startFakeDiscord, type FakeDiscord } from '../harness/fake-discord.js';

const TOKEN = 'command-registration-token';
const APP = '400000000000000061';
const GUILD = '100000000000000061';
const CHANNEL = '200000000000000061';
const ADMIN = '300000000000000061';

let discord: FakeDiscord;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'herald-registration-'));
  discord = await startFakeDiscord({
    token: TOKEN,
    applicationId: APP,
    botUserId: '400000000000000062',
    guilds: [{ id: GUILD, name: 'Home', channels: [{ id: CHANNEL, name: 'news' }], members: [{ id: ADMIN, username: 'admin', permissions: PermissionFlagsBits.ManageChannels }] }],
  });
});

afterAll(async () => {
  await discord?.close();
  rmSync(dir, { recursive: true, force: true });
});

const puts = (guildId: string | null) =>
  discord.requests.filter((r) => r.method === 'PUT' && r.path === (guildId ? `/applications/${APP}/guilds/${guildId}/commands` : `/applications/${APP}/commands`)).length;

/** Starts Herald on one SQLite file, then stops it; returns the event names it logged. */
async function startAndStop(guildId: string | null, commandList = commands): Promise<string[]> {
  const lines: string[] = [];
  const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(...String(chunk).trim().split('\n')), done()) });
  const config = loadConfig({
    DISCORD_TOKEN: TOKEN,
    DISCORD_API_URL: discord.apiUrl,
    ...(guildId ? { GUILD_ID: guildId } : {}),
    STORE_URL: `sqlite://${join(dir, 'herald.sqlite')}`,
    LOG_LEVEL: 'info',
  });
  const app = await startApp({ config, log: createLogger('info', sink), schedulePolling: false, commands: commandList });
  await app.stop();
  return lines.map((line) => JSON.parse(line).event as string);
}

it('registers on the first start, skips an unchanged second start, registers again when a definition changes', async () => {
  expect(await startAndStop(GUILD)).toContain('commands.registered');
  expect(puts(GUILD)).toBe(1);

  const second = await startAndStop(GUILD);
  expect(second).toContain('commands.unchanged');
  expect(second).not.toContain('commands.registered');
  expect(puts(GUILD)).toBe(1);
  // the commands registered the first time are still there
  expect(discord.registeredCommands(GUILD).map((c) => c.name)).toContain('feed');

  const help = commands.find((c) => c.data.name === 'help')!;
  const changed = { ...help, data: new SlashCommandBuilder().setName('help').setDescription('How Herald works (reworded)') };
  expect(await startAndStop(GUILD, commands.map((c) => (c === help ? changed : c)))).toContain('commands.registered');
  expect(puts(GUILD)).toBe(2);
  expect(discord.registeredCommands(GUILD).find((c) => c.name === 'help')?.description).toBe('How Herald works (reworded)');
}, 60_000);

it('another scope on the same store is registered on its own (global here, after the guild above)', async () => {
  const before = puts(null);
  expect(await startAndStop(null)).toContain('commands.registered');
  expect(await startAndStop(null)).toContain('commands.unchanged');
  expect(puts(null)).toBe(before + 1);
}, 60_000);
