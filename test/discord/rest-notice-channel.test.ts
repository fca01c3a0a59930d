// A worker's channel-paused notice (no gateway cache): where it goes, by the rule of the cached noticeChannelFor, and
// what Herald lacks in the paused channel, from REST data. The rules on plain data first, then the server read
// through discord.js's REST client from the fake Discord.
import { ChannelType, PermissionFlagsBits } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDiscordClient } from '../../src/discord/client.js';
import { missingForAlertsIn, pickNoticeChannel, readServerFacts, type RestGuild, type RestGuildChannel } from '../../src/discord/rest-notice-channel.js';
import { startFakeDiscord, type FakeDiscord } from '../harness/fake-discord.js';

const { ViewChannel, SendMessages, Administrator } = PermissionFlagsBits;
const GUILD = '140000000000000001';
const BOT = '440000000000000002';
const ROLE = '540000000000000001';
const bits = (b: bigint) => b.toString();

const guild = (over: Partial<RestGuild> = {}): RestGuild => ({
  id: GUILD,
  owner_id: '999',
  system_channel_id: 'sys',
  roles: [
    { id: GUILD, permissions: bits(ViewChannel | SendMessages) },
    { id: ROLE, permissions: '0' },
  ],
  ...over,
});
const text = (id: string, position: number, overwrites: RestGuildChannel['permission_overwrites'] = []): RestGuildChannel => ({ id, type: ChannelType.GuildText, position, permission_overwrites: overwrites });
const denyBot = [{ id: BOT, type: 1, allow: '0', deny: bits(SendMessages) }];
const facts = (g: RestGuild, channels: RestGuildChannel[], botRoleIds: string[] = []) => ({ guild: g, channels, botUserId: BOT, botRoleIds });
const pick = (g: RestGuild, channels: RestGuildChannel[], except = 'paused', botRoleIds: string[] = []) => pickNoticeChannel(facts(g, channels, botRoleIds), except);

describe('pickNoticeChannel', () => {
  it('takes the system channel when Herald can post there', () => {
    expect(pick(guild(), [text('a', 0), text('sys', 5)])).toBe('sys');
  });

  it('passes over a system channel Herald may not post in, for the first text channel in the server’s order where it can', () => {
    const channels = [text('late', 9), text('sys', 0, denyBot), text('b', 2), text('a', 2), text('first-denied', 1, denyBot)];
    expect(pick(guild(), channels)).toBe('a'); // position 2, then id order
  });

  it('never the channel the notice is about, and never a voice channel or a category', () => {
    const channels = [text('paused', 0), { id: 'voice', type: ChannelType.GuildVoice, position: 1 }, { id: 'cat', type: ChannelType.GuildCategory, position: 2 }, text('ok', 3)];
    expect(pick(guild({ system_channel_id: 'paused' }), channels)).toBe('ok');
  });

  it('applies role overwrites to Herald’s roles, and an Administrator role over any overwrite', () => {
    const roleDenies = [{ id: ROLE, type: 0, allow: '0', deny: bits(SendMessages) }];
    expect(pick(guild(), [text('sys', 0, roleDenies)], 'paused', [ROLE])).toBeNull();
    expect(pick(guild(), [text('sys', 0, roleDenies)], 'paused', [])).toBe('sys');
    const admin = guild({ roles: [{ id: GUILD, permissions: '0' }, { id: ROLE, permissions: bits(Administrator) }] });
    expect(pick(admin, [text('sys', 0, denyBot)], 'paused', [ROLE])).toBe('sys');
  });

  it('null when no channel lets Herald post (the caller logs notice.nowhere)', () => {
    expect(pick(guild({ roles: [{ id: GUILD, permissions: bits(ViewChannel) }] }), [text('sys', 0), text('a', 1)])).toBeNull();
    expect(pick(guild(), [])).toBeNull();
  });
});

describe('missingForAlertsIn', () => {
  it('names what Herald lacks in the channel to post alerts, as Discord’s settings name it', () => {
    const withEmbeds = guild({ roles: [{ id: GUILD, permissions: bits(ViewChannel | SendMessages | PermissionFlagsBits.EmbedLinks) }] });
    expect(missingForAlertsIn(facts(withEmbeds, [text('news', 0)]), 'news')).toEqual([]);
    expect(missingForAlertsIn(facts(withEmbeds, [text('news', 0, denyBot)]), 'news')).toEqual(['Send Messages']);
    expect(missingForAlertsIn(facts(guild(), [text('news', 0, denyBot)]), 'news')).toEqual(['Send Messages', 'Embed Links']);
    expect(missingForAlertsIn(facts(guild(), [text('news', 0)]), 'gone')).toEqual([]);
  });
});

describe('readServerFacts, through discord.js REST against the fake Discord', () => {
  let discord: FakeDiscord;
  const client = () => {
    const c = createDiscordClient(discord.apiUrl, null);
    c.rest.setToken('rest-notice-token');
    return c;
  };

  beforeAll(async () => {
    discord = await startFakeDiscord({
      token: 'rest-notice-token',
      applicationId: '440000000000000001',
      botUserId: BOT,
      guilds: [
        {
          id: GUILD,
          name: 'Home',
          systemChannelId: '240000000000000001',
          channels: [
            { id: '240000000000000001', name: 'rules', overwrites: [{ id: BOT, type: 'member', deny: SendMessages }] },
            { id: '240000000000000002', name: 'news' },
            { id: '240000000000000003', name: 'lobby' },
          ],
          members: [],
        },
      ],
    });
  });
  afterAll(async () => {
    await discord?.close();
  });

  it('reads the server, its channels and Herald’s member: the notice skips the system channel Herald may not post in, which lacks Send Messages', async () => {
    const c = client();
    try {
      const server = await readServerFacts(c.rest, GUILD, BOT);
      expect(pickNoticeChannel(server, '240000000000000002')).toBe('240000000000000003');
      expect(pickNoticeChannel(server, '240000000000000003')).toBe('240000000000000002');
      expect(missingForAlertsIn(server, '240000000000000001')).toEqual(['Send Messages']);
      expect(missingForAlertsIn(server, '240000000000000002')).toEqual([]);
      const reads = discord.requests.filter((r) => r.method === 'GET' && r.path.startsWith(`/guilds/${GUILD}`)).map((r) => r.path);
      expect(new Set(reads)).toEqual(new Set([`/guilds/${GUILD}`, `/guilds/${GUILD}/channels`, `/guilds/${GUILD}/members/${BOT}`]));
    } finally {
      await c.destroy();
    }
  });

  it('throws what Discord answered for a server Herald has left (the caller logs notice.failed)', async () => {
    const c = client();
    try {
      await expect(readServerFacts(c.rest, '140000000000000999', BOT)).rejects.toThrow(/Unknown Guild/);
    } finally {
      await c.destroy();
    }
  });
});
