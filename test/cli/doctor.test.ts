// herald doctor against the fake Discord: a token it accepts and one it rejects, a channel where an overwrite takes
// a permission away, failing and healthy feeds, commands not yet registered and then registered by a start.
import { PermissionFlagsBits } from 'discord.js';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp } from '../../src/app.js';
import { commandDifferences, runDoctor } from '../../src/cli/doctor.js';
import { loadConfig } from '../../src/config/config.js';
import { INVITE_PERMISSIONS, inviteLink } from '../../src/discord/invite.js';
import { computeChannelPermissions } from '../../src/discord/permissions.js';
import { blankFeedRecord } from '../../src/feeds/feed-record.js';
import type { SubscriptionRecord } from '../../src/match/records.js';
import { openStore } from '../../src/repositories.js';
import { startFakeDiscord, type FakeDiscord } from '../harness/fake-discord.js';
import { tempDir } from '../store/backends.js';

const TOKEN = 'doctor-token';
const APP_ID = '440000000000000001';
const BOT = '440000000000000002';
const GUILD = '140000000000000001';
const GOOD = '240000000000000001';
const NO_EMBEDS = '240000000000000002';
const ADMIN = '340000000000000001';

const tmp = tempDir();
let discord: FakeDiscord;

const env = (storeFile: string, token = TOKEN) => ({ DISCORD_TOKEN: token, DISCORD_API_URL: discord.apiUrl, GUILD_ID: GUILD, STORE_URL: `sqlite://${join(tmp.dir, storeFile)}`, POLL_CRON: '*/2 * * * *' });

const subscription = (id: string, channelId: string): SubscriptionRecord => ({
  id, guildId: GUILD, channelId, queryText: 'harbour', canonical: 'harbour', query: null, createdBy: ADMIN, createdAt: new Date().toISOString(), mode: 'instant',
});

async function doctor(e: Record<string, string>): Promise<{ code: number; text: string }> {
  const lines: string[] = [];
  const code = await runDoctor({ env: e, requestTimeoutMs: 10_000 }, (l) => lines.push(l));
  return { code, text: lines.join('\n') };
}

beforeAll(async () => {
  discord = await startFakeDiscord({
    token: TOKEN,
    applicationId: APP_ID,
    botUserId: BOT,
    guilds: [
      {
        id: GUILD,
        name: 'Harbours',
        channels: [
          { id: GOOD, name: 'good' },
          // the role-wide grant is there, but this channel denies Embed Links to @everyone
          { id: NO_EMBEDS, name: 'no-embeds', overwrites: [{ id: GUILD, type: 'role', deny: PermissionFlagsBits.EmbedLinks }] },
        ],
        members: [{ id: ADMIN, username: 'admin', permissions: PermissionFlagsBits.Administrator }],
      },
    ],
  });
});

afterAll(async () => {
  await discord?.close();
  tmp.remove();
});

describe('herald doctor', () => {
  it('says ✘ with the fix for a rejected token, without printing it', async () => {
    const { code, text } = await doctor(env('bad-token.sqlite', 'not-the-token-xyz'));
    expect(code).toBe(1);
    expect(text).toMatch(/✘ Discord rejected DISCORD_TOKEN\n\s+→ .*Reset Token/);
    expect(text).not.toContain('not-the-token-xyz');
    expect(text).toMatch(/✔ store .* reachable and writable/);
  });

  it('finds a missing channel permission, unregistered commands and a failing feed; prints the invite link', async () => {
    const store = await openStore(env('problems.sqlite').STORE_URL);
    await store.subscriptions.set('s1', subscription('s1', GOOD));
    await store.subscriptions.set('s2', subscription('s2', NO_EMBEDS));
    const now = new Date();
    await store.feeds.set('https://a.example/ok.xml', { ...blankFeedRecord('https://a.example/ok.xml', 'OK', null, now), lastPolledAt: now.toISOString(), lastSuccessAt: now.toISOString() });
    await store.feeds.set('https://b.example/down.xml', {
      ...blankFeedRecord('https://b.example/down.xml', 'Down', null, now), lastPolledAt: now.toISOString(), consecutiveFailures: 3, firstFailureAt: now.toISOString(), lastError: 'the feed answered 503 Service Unavailable',
    });
    await store.close();

    const { code, text } = await doctor(env('problems.sqlite'));
    expect(code).toBe(1);
    expect(text).toContain('✔ token is valid');
    expect(text).toContain(`✔ application id ${APP_ID}`);
    expect(text).toContain(`https://discord.com/oauth2/authorize?client_id=${APP_ID}&scope=bot%20applications.commands&permissions=85056`);
    expect(text).toMatch(/✘ slash commands registered server \d+ differ from Herald's: missing .*\/feed/);
    expect(text).toMatch(new RegExp(`✘ #no-embeds \\(${NO_EMBEDS}, server ${GUILD}\\): Herald lacks Embed Links\\n\\s+→ `));
    expect(text).not.toMatch(/#good.*lacks/);
    expect(text).toContain('✔ 1 subscribed channel let Herald view, send, embed links and add reactions');
    expect(text).toMatch(/✘ feed https:\/\/b\.example\/down\.xml: failing, 3 attempts.*503/);
    expect(text).toContain('✔ 1 of 2 feeds healthy');
    expect(text).not.toContain(TOKEN);
  });

  it('exits 0 when everything is right (commands registered by a start)', async () => {
    const e = env('healthy.sqlite');
    const app = await startApp({ config: loadConfig({ ...e, LOG_LEVEL: 'silent' }), schedulePolling: false });
    await app.stop();
    const store = await openStore(e.STORE_URL);
    await store.subscriptions.set('s1', subscription('s1', GOOD));
    const now = new Date();
    await store.feeds.set('https://a.example/ok.xml', { ...blankFeedRecord('https://a.example/ok.xml', 'OK', null, now), lastPolledAt: now.toISOString(), lastSuccessAt: now.toISOString() });
    await store.close();

    const { code, text } = await doctor(e);
    expect(text).not.toContain('✘');
    expect(text).toMatch(/✔ \d+ slash commands registered server \d+, as Herald defines them/);
    expect(code).toBe(0);
  }, 30_000);

  it('stops at a configuration problem, naming the variable', async () => {
    const { code, text } = await doctor({ ...env('x.sqlite'), POLL_CRON: 'often' });
    expect(code).toBe(1);
    expect(text).toMatch(/✘ configuration[\s\S]*POLL_CRON/);
  });
});

describe('doctor helpers', () => {
  it('the invite asks for exactly View Channel, Send Messages, Embed Links, Add Reactions, Read Message History (85056)', () => {
    expect(INVITE_PERMISSIONS).toBe(85056n);
    expect(inviteLink('123')).toBe('https://discord.com/oauth2/authorize?client_id=123&scope=bot%20applications.commands&permissions=85056');
  });

  it('computes channel permissions the way Discord does: roles, then @everyone, role and member overwrites', () => {
    const roles = [{ id: 'g', permissions: String(PermissionFlagsBits.ViewChannel) }, { id: 'r', permissions: String(PermissionFlagsBits.SendMessages | PermissionFlagsBits.EmbedLinks) }];
    const base = { guildId: 'g', ownerId: 'o', userId: 'u', memberRoleIds: ['r'], roles };
    const has = (p: bigint, f: bigint) => (p & f) === f;
    const plain = computeChannelPermissions({ ...base, overwrites: [] });
    expect(has(plain, PermissionFlagsBits.ViewChannel | PermissionFlagsBits.SendMessages | PermissionFlagsBits.EmbedLinks)).toBe(true);
    const denied = computeChannelPermissions({ ...base, overwrites: [{ id: 'r', type: 0, allow: '0', deny: String(PermissionFlagsBits.EmbedLinks) }] });
    expect(has(denied, PermissionFlagsBits.EmbedLinks)).toBe(false);
    const memberAllows = computeChannelPermissions({
      ...base,
      overwrites: [{ id: 'r', type: 0, allow: '0', deny: String(PermissionFlagsBits.EmbedLinks) }, { id: 'u', type: 1, allow: String(PermissionFlagsBits.EmbedLinks), deny: '0' }],
    });
    expect(has(memberAllows, PermissionFlagsBits.EmbedLinks)).toBe(true);
    const everyoneDenied = computeChannelPermissions({ ...base, overwrites: [{ id: 'g', type: 0, allow: '0', deny: String(PermissionFlagsBits.ViewChannel) }] });
    expect(has(everyoneDenied, PermissionFlagsBits.ViewChannel)).toBe(false);
    const admin = computeChannelPermissions({ ...base, roles: [...roles, { id: 'a', permissions: String(PermissionFlagsBits.Administrator) }], memberRoleIds: ['a'], overwrites: [{ id: 'g', type: 0, allow: '0', deny: String(PermissionFlagsBits.ViewChannel) }] });
    expect(has(admin, PermissionFlagsBits.ViewChannel)).toBe(true);
  });

  it('compares command definitions by name, description and options, ignoring what Discord adds', () => {
    const def = { name: 'feed', description: 'Feeds', options: [{ type: 1, name: 'add', description: 'Add', options: [{ type: 3, name: 'url', description: 'URL', required: true }] }] };
    const stored = { ...def, id: '1', version: '2', options: [{ ...def.options[0]!, options: [{ ...def.options[0]!.options[0]!, autocomplete: false }] }] };
    expect(commandDifferences([def], [stored])).toEqual([]);
    expect(commandDifferences([def], [])).toEqual(['missing /feed']);
    expect(commandDifferences([def], [{ ...def, description: 'Old' }, { name: 'old', description: 'x' }])).toEqual(["not Herald's /old", 'out of date /feed']);
  });
});
