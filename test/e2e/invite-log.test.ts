// A Herald in no server logs the invite link at start (with its application id); one in a server does not.
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { startApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/log.js';
import { startFakeDiscord, type FakeDiscord } from '../harness/fake-discord.js';

const TOKEN = 'invite-log-token';
const APP = '460000000000000001';
let discord: FakeDiscord | undefined;

afterEach(async () => {
  await discord?.close();
  discord = undefined;
});

async function startLogs(guilds: Parameters<typeof startFakeDiscord>[0]['guilds']): Promise<Array<Record<string, unknown>>> {
  discord = await startFakeDiscord({ token: TOKEN, applicationId: APP, botUserId: '460000000000000002', guilds });
  const lines: string[] = [];
  const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(...String(chunk).trim().split('\n')), done()) });
  const config = loadConfig({ DISCORD_TOKEN: TOKEN, DISCORD_API_URL: discord.apiUrl, STORE_URL: 'memory://', LOG_LEVEL: 'info' });
  const app = await startApp({ config, log: createLogger('info', sink), schedulePolling: false });
  await app.stop();
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('invite link at start', () => {
  it('is logged while Herald is in no server', async () => {
    const logs = await startLogs([]);
    const line = logs.find((l) => l.event === 'start.no_guilds');
    expect(line?.invite).toBe(`https://discord.com/oauth2/authorize?client_id=${APP}&scope=bot%20applications.commands&permissions=85056`);
    expect(String(line?.msg)).toContain(String(line?.invite));
  });

  it('is not logged once Herald is in a server', async () => {
    const logs = await startLogs([{ id: '160000000000000001', name: 'S', channels: [{ id: '260000000000000001', name: 'a' }], members: [] }]);
    expect(logs.some((l) => l.event === 'start')).toBe(true);
    expect(logs.some((l) => l.event === 'start.no_guilds')).toBe(false);
  });
});
