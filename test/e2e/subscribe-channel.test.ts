// /subscribe channel: must be a text or announcement channel of this server that the member can view and where
// Herald can view, send and embed links; anything else is refused, naming what is missing, and nothing is stored.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChannelType, PermissionFlagsBits } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { startFakeDiscord, type FakeDiscord } from '../harness/fake-discord.js';

const TOKEN = 'subscribe-channel-token';
const BOT = '400000000000000042';
const GUILD = '100000000000000041';
const OTHER_GUILD = '100000000000000042';
const ADMIN = '300000000000000041';
const CH = {
  news: '200000000000000041',
  voice: '200000000000000042',
  category: '200000000000000043',
  secret: '200000000000000044',
  noEmbed: '200000000000000045',
  noSend: '200000000000000046',
  noReact: '200000000000000047',
  announce: '200000000000000048',
  hidden: '200000000000000049',
  elsewhere: '200000000000000050',
};
const MANAGE = PermissionFlagsBits.ViewChannel | PermissionFlagsBits.SendMessages | PermissionFlagsBits.ManageChannels;
const { ViewChannel, SendMessages, EmbedLinks, AddReactions } = PermissionFlagsBits;

let discord: FakeDiscord;
let app: App;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'herald-subscribe-channel-'));
  const admin = { id: ADMIN, username: 'admin', permissions: MANAGE };
  discord = await startFakeDiscord({
    token: TOKEN,
    applicationId: '400000000000000041',
    botUserId: BOT,
    guilds: [
      {
        id: GUILD,
        name: 'Home',
        members: [admin],
        channels: [
          { id: CH.news, name: 'news' },
          { id: CH.voice, name: 'Lounge', type: ChannelType.GuildVoice },
          { id: CH.category, name: 'Text channels', type: ChannelType.GuildCategory },
          // Hidden from everyone but Herald: the member can't see it.
          { id: CH.secret, name: 'mods', overwrites: [{ id: GUILD, type: 'role', deny: ViewChannel }, { id: BOT, type: 'member', allow: ViewChannel }] },
          { id: CH.noEmbed, name: 'plain', overwrites: [{ id: BOT, type: 'member', deny: EmbedLinks }] },
          { id: CH.noSend, name: 'read-only', overwrites: [{ id: BOT, type: 'member', deny: SendMessages | EmbedLinks }] },
          { id: CH.noReact, name: 'no-reactions', overwrites: [{ id: BOT, type: 'member', deny: AddReactions }] },
          { id: CH.announce, name: 'announcements', type: ChannelType.GuildAnnouncement },
          // Hidden from Herald (the @everyone overwrite), visible to the member (their own).
          { id: CH.hidden, name: 'staff', overwrites: [{ id: GUILD, type: 'role', deny: ViewChannel }, { id: ADMIN, type: 'member', allow: ViewChannel }] },
        ],
      },
      { id: OTHER_GUILD, name: 'Elsewhere', members: [admin], channels: [{ id: CH.elsewhere, name: 'news' }] },
    ],
  });
  const config = loadConfig({
    DISCORD_TOKEN: TOKEN,
    DISCORD_API_URL: discord.apiUrl,
    STORE_URL: `sqlite://${join(dir, 'herald.sqlite')}`,
    LOG_LEVEL: 'silent',
  });
  app = await startApp({ config, schedulePolling: false });
});

afterAll(async () => {
  await app?.stop();
  await discord?.close();
  rmSync(dir, { recursive: true, force: true });
});

const subscribe = (channel: string | undefined, runIn = CH.news) =>
  discord.runCommand({ guildId: GUILD, channelId: runIn, userId: ADMIN, name: 'subscribe', options: { query: 'Korea', ...(channel ? { channel } : {}) } });

describe('/subscribe channel:', () => {
  it.each([
    ['a channel of another server', CH.elsewhere, "That channel isn't one of this server's channels. Pick a text channel of this server."],
    ['a voice channel', CH.voice, '#Lounge is a voice channel; alerts go to a text or announcement channel. Pick one of those.'],
    ['a category', CH.category, '#Text channels is a category; alerts go to a text or announcement channel. Pick one of those.'],
    ["a channel the member can't view", CH.secret, "You can't view #mods, so you can't send alerts there. Pick a channel you can see."],
    ['a channel where Herald lacks Embed Links', CH.noEmbed, "Herald can't post in #plain: it lacks Embed Links there. Give Herald's role Embed Links in that channel, then try again."],
    ['a channel where Herald lacks Send Messages', CH.noSend, "Herald can't post in #read-only: it lacks Send Messages and Embed Links there. Give Herald's role those permissions in that channel, then try again."],
    ["a channel Herald can't view", CH.hidden, "Herald can't post in #staff: it lacks View Channel there. Give Herald's role View Channel in that channel, then try again."],
  ])('refuses %s, storing nothing', async (_what, channel, message) => {
    const reply = await subscribe(channel);
    expect(reply.ephemeral).toBe(true);
    expect(reply.content).toBe(message);
    expect(app.services.subscriptions.listForChannel(channel)).toEqual([]);
    expect(app.services.subscriptions.listForGuild(GUILD)).toEqual([]);
    expect(app.services.subscriptions.listForGuild(OTHER_GUILD)).toEqual([]);
  });

  it('accepts a text channel, an announcement channel, and the current channel by default', async () => {
    expect((await subscribe(CH.news)).content).toMatch(/^Subscribed <#200000000000000041> to `Korea`/);
    expect((await subscribe(CH.announce)).content).toMatch(/^Subscribed <#200000000000000048> to `Korea`/);
    // Where Herald can post but not add the rating reactions: subscribed, with a note saying what to grant.
    const here = await subscribe(undefined, CH.noReact);
    expect(here.content).toMatch(/^Subscribed <#200000000000000047> to `Korea`/);
    expect(here.content).toContain("\nNote: Herald lacks Add Reactions in #no-reactions, so alerts there won't get the 1️⃣–5️⃣ rating reactions. Give Herald's role Add Reactions there to enable ratings.");
    expect(app.services.subscriptions.listForGuild(GUILD).map((s) => s.channelId).sort()).toEqual([CH.news, CH.noReact, CH.announce].sort());
  });

  it('sent only request bodies Discord accepts', () => {
    expect(discord.problems).toEqual([]);
  });
});
