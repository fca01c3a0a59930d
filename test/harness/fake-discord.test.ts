// Self-test of the fake Discord, driven by an unmodified discord.js Client.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ChannelType,
  Client,
  DiscordAPIError,
  EmbedBuilder,
  Events,
  GatewayIntentBits,
  MessageFlags,
  Partials,
  PermissionFlagsBits,
  RESTEvents,
  Routes,
  SlashCommandBuilder,
  type Interaction,
  type RateLimitData,
  type TextChannel,
} from 'discord.js';
import { startFakeDiscord, type FakeDiscord } from './fake-discord.js';

const TOKEN = 'fake.bot.token';
const APP = '1100000000000000001';
const BOT = '1100000000000000002';
const GUILD = '1200000000000000001';
const CH = '1300000000000000001';
const CH2 = '1300000000000000002';
const CH_GONE = '1300000000000000003';
const CATEGORY = '1300000000000000004';
const ALICE = '1400000000000000001';
const MOD = '1400000000000000002';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(10);
  }
}

const commands = [
  new SlashCommandBuilder().setName('ping').setDescription('Replies pong, ephemerally'),
  new SlashCommandBuilder().setName('slow').setDescription('Defers, then edits'),
  new SlashCommandBuilder()
    .setName('feed')
    .setDescription('Manage feeds')
    .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
    .addSubcommand((s) =>
      s
        .setName('add')
        .setDescription('Add a feed')
        .addStringOption((o) => o.setName('url').setDescription('Feed URL').setRequired(true))
        .addChannelOption((o) => o.setName('channel').setDescription('Where to post').addChannelTypes(ChannelType.GuildText))
        .addIntegerOption((o) => o.setName('interval').setDescription('Minutes').setMinValue(5)),
    )
    .addSubcommand((s) =>
      s
        .setName('remove')
        .setDescription('Remove a feed')
        .addStringOption((o) => o.setName('url').setDescription('Feed URL').setRequired(true).setAutocomplete(true)),
    ),
  new SlashCommandBuilder().setName('export').setDescription('Exports OPML'),
  new SlashCommandBuilder()
    .setName('import')
    .setDescription('Imports OPML')
    .addAttachmentOption((o) => o.setName('file').setDescription('OPML file').setRequired(true)),
  new SlashCommandBuilder().setName('multi').setDescription('Reply + follow-up'),
  new SlashCommandBuilder().setName('info').setDescription('Reply with withResponse'),
  new SlashCommandBuilder().setName('lifecycle').setDescription('Every reply method once'),
];

let fake: FakeDiscord;
let client: Client;
const reactionEvents: { kind: 'add' | 'remove'; emoji: string | null; userId: string; messageId: string; wasPartial: boolean }[] = [];
const rateLimits: RateLimitData[] = [];
let messageCreates = 0;
let channelDeletes: string[] = [];
let lastInteraction: Interaction | null = null;
let infoResponseMessageId: string | null = null;

async function onInteraction(i: Interaction): Promise<void> {
  lastInteraction = i;
  if (i.isAutocomplete()) {
    const typed = i.options.getFocused();
    const all = ['https://a.example/rss', 'https://b.example/atom', 'https://news.example/feed'];
    await i.respond(all.filter((u) => u.includes(typed)).map((u) => ({ name: u, value: u })));
    return;
  }
  if (!i.isChatInputCommand()) return;
  switch (i.commandName) {
    case 'ping':
      await i.reply({ content: 'pong', flags: MessageFlags.Ephemeral });
      return;
    case 'slow':
      await i.deferReply();
      await sleep(30);
      await i.editReply({ content: 'done', embeds: [new EmbedBuilder().setTitle('Slow result').setColor(0x00ff00)] });
      return;
    case 'feed': {
      const sub = i.options.getSubcommand();
      const url = i.options.getString('url', true);
      const ch = i.options.getChannel('channel');
      const interval = i.options.getInteger('interval');
      await i.reply({ content: `${sub} ${url} -> ${ch ? `#${ch.name}` : 'here'} every ${interval ?? 'default'}`, flags: MessageFlags.Ephemeral });
      return;
    }
    case 'export':
      await i.reply({ content: 'here you go', files: [{ attachment: Buffer.from('<opml version="2.0"/>'), name: 'x.opml' }], flags: MessageFlags.Ephemeral });
      return;
    case 'import': {
      const att = i.options.getAttachment('file', true);
      const text = await (await fetch(att.url)).text();
      await i.reply({ content: `imported ${att.name}: ${text}`, flags: MessageFlags.Ephemeral });
      return;
    }
    case 'multi':
      await i.reply('first');
      await i.followUp({ content: 'second', flags: MessageFlags.Ephemeral });
      return;
    case 'lifecycle': {
      await i.deferReply({ flags: MessageFlags.Ephemeral });
      await i.fetchReply();
      await i.editReply({ content: 'with file', files: [{ attachment: Buffer.from('abc'), name: 'a.txt' }] });
      const f = await i.followUp({ content: 'fu' });
      await i.webhook.editMessage(f, { content: 'fu edited' });
      await i.editReply({ content: 'edited again' });
      await i.deleteReply();
      return;
    }
    case 'info': {
      const r = await i.reply({ content: 'info', withResponse: true });
      infoResponseMessageId = r.resource?.message?.id ?? null;
      return;
    }
  }
}

beforeAll(async () => {
  fake = await startFakeDiscord({
    token: TOKEN,
    applicationId: APP,
    botUserId: BOT,
    botUsername: 'Herald',
    guilds: [
      {
        id: GUILD,
        name: 'Test Guild',
        channels: [
          { id: CH, name: 'news' },
          { id: CH2, name: 'alerts' },
          { id: CH_GONE, name: 'doomed' },
          { id: CATEGORY, name: 'Category', type: ChannelType.GuildCategory },
        ],
        members: [
          { id: ALICE, username: 'alice' },
          { id: MOD, username: 'mod', permissions: PermissionFlagsBits.ViewChannel | PermissionFlagsBits.SendMessages | PermissionFlagsBits.ManageGuild },
        ],
      },
    ],
  });
  client = new Client({
    intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessageReactions],
    partials: [Partials.Message, Partials.Reaction, Partials.User, Partials.Channel],
    rest: { api: fake.apiUrl },
  });
  client.on(Events.InteractionCreate, (i) => {
    onInteraction(i).catch((e: unknown) => {
      // surfaced by the test's reply assertion timing out; keep the reason visible
      console.error('interaction handler failed', e);
    });
  });
  client.on(Events.MessageReactionAdd, (r, u) => {
    reactionEvents.push({ kind: 'add', emoji: r.emoji.name, userId: u.id, messageId: r.message.id, wasPartial: r.message.partial });
  });
  client.on(Events.MessageReactionRemove, (r, u) => {
    reactionEvents.push({ kind: 'remove', emoji: r.emoji.name, userId: u.id, messageId: r.message.id, wasPartial: r.message.partial });
  });
  client.on(Events.MessageCreate, () => messageCreates++);
  client.on(Events.ChannelDelete, (c) => {
    channelDeletes.push(c.id);
  });
  client.rest.on(RESTEvents.RateLimited, (info) => rateLimits.push(info));
  const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
  await client.login(TOKEN);
  await ready;
});

afterAll(async () => {
  await client?.destroy();
  await fake?.close();
});

describe('fake Discord with a real discord.js Client', () => {
  it('logs in, gets READY and caches the guild from GUILD_CREATE', () => {
    expect(client.isReady()).toBe(true);
    expect(client.user?.id).toBe(BOT);
    expect(client.application?.id).toBe(APP);
    const guild = client.guilds.cache.get(GUILD);
    expect(guild?.name).toBe('Test Guild');
    expect(guild?.channels.cache.get(CH)?.name).toBe('news');
    expect(guild?.channels.cache.get(CATEGORY)?.type).toBe(ChannelType.GuildCategory);
    // no GuildMembers intent: only the bot's own member arrives
    expect([...(guild?.members.cache.keys() ?? [])]).toEqual([BOT]);
    expect(guild?.members.me?.permissions.has(PermissionFlagsBits.EmbedLinks)).toBe(true);
    expect(fake.identifyCount).toBe(1);
    const gw = fake.requests.find((r) => r.path === '/gateway/bot');
    expect(gw?.status).toBe(200);
  });

  it('registers guild commands (PUT) as the bot sent them', async () => {
    const set = await client.application!.commands.set(commands.map((c) => c.toJSON()), GUILD);
    expect(set.size).toBe(commands.length);
    const reg = fake.registeredCommands(GUILD);
    expect(reg.map((c) => c.name)).toEqual(commands.map((c) => c.name));
    const feed = reg.find((c) => c.name === 'feed');
    expect(feed.default_member_permissions).toBe(PermissionFlagsBits.ManageGuild.toString());
    expect(feed.options[0].options[0]).toMatchObject({ name: 'url', type: 3, required: true });
    expect(fake.registeredCommands()).toEqual([]);
    // PUT again keeps ids
    const again = await client.application!.commands.set(commands.map((c) => c.toJSON()), GUILD);
    expect([...again.keys()].sort()).toEqual([...set.keys()].sort());
  });

  it('runs a command answered with an ephemeral reply; the interaction looks real', async () => {
    const reply = await fake.runCommand({ guildId: GUILD, channelId: CH, userId: ALICE, name: 'ping' });
    expect(reply).toMatchObject({ type: 'message', content: 'pong', ephemeral: true, embeds: [] });
    const i = lastInteraction;
    expect(i?.isChatInputCommand()).toBe(true);
    if (!i?.isChatInputCommand()) return;
    expect(i.channelId).toBe(CH);
    expect(i.channel?.id).toBe(CH);
    expect(i.guildId).toBe(GUILD);
    expect(i.user.id).toBe(ALICE);
    expect(i.user.username).toBe('alice');
    expect(i.memberPermissions?.has(PermissionFlagsBits.SendMessages)).toBe(true);
    expect(i.memberPermissions?.has(PermissionFlagsBits.ManageGuild)).toBe(false);
    expect(i.appPermissions?.has(PermissionFlagsBits.EmbedLinks)).toBe(true);
    expect(i.commandId).toBe(fake.registeredCommands(GUILD).find((c) => c.name === 'ping').id);
    // callbacks carry no Authorization and use with_response=false → 204
    const cb = fake.requests.filter((r) => r.path.endsWith('/callback')).at(-1);
    expect(cb?.query).toContain('with_response=false');
    expect(cb?.status).toBe(204);
  });

  it('runs a command answered with deferReply + editReply', async () => {
    const reply = await fake.runCommand({ guildId: GUILD, channelId: CH, userId: ALICE, name: 'slow' });
    expect(reply.type).toBe('deferred');
    expect(reply.content).toBe('done');
    expect(reply.ephemeral).toBe(false);
    expect(reply.embeds[0]).toMatchObject({ title: 'Slow result', color: 0x00ff00 });
  });

  it('passes subcommands, typed options and resolved channels; computes member permissions', async () => {
    const reply = await fake.runCommand({
      guildId: GUILD,
      channelId: CH,
      userId: MOD,
      name: 'feed',
      subcommand: 'add',
      options: { url: 'https://a.example/rss', channel: CH2, interval: 15 },
    });
    expect(reply.content).toBe('add https://a.example/rss -> #alerts every 15');
    const i = lastInteraction;
    expect(i?.isChatInputCommand() && i.memberPermissions?.has(PermissionFlagsBits.ManageGuild)).toBe(true);
    await expect(fake.runCommand({ guildId: GUILD, channelId: CH, userId: MOD, name: 'feed', subcommand: 'add', options: {} })).rejects.toThrow(/required/);
    await expect(fake.runCommand({ guildId: GUILD, channelId: CH, userId: MOD, name: 'feed', subcommand: 'add', options: { url: 'x', nope: 1 } })).rejects.toThrow(/no option "nope"/);
  });

  it('answers autocomplete with the choices the bot returned', async () => {
    const choices = await fake.autocomplete({ guildId: GUILD, channelId: CH, userId: ALICE, name: 'feed', subcommand: 'remove', options: { url: 'news' }, focused: 'url' });
    expect(choices).toEqual([{ name: 'https://news.example/feed', value: 'https://news.example/feed' }]);
  });

  it('serves a multipart file reply', async () => {
    const reply = await fake.runCommand({ guildId: GUILD, channelId: CH, userId: ALICE, name: 'export' });
    expect(reply.content).toBe('here you go');
    expect(reply.files).toHaveLength(1);
    expect(reply.files[0]?.filename).toBe('x.opml');
    expect(reply.files[0]?.data.toString()).toBe('<opml version="2.0"/>');
  });

  it('serves ATTACHMENT options over http://127.0.0.1', async () => {
    const reply = await fake.runCommand({
      guildId: GUILD,
      channelId: CH,
      userId: ALICE,
      name: 'import',
      options: { file: { filename: 'feeds.opml', data: '<opml/>', contentType: 'text/x-opml' } },
    });
    expect(reply.content).toBe('imported feeds.opml: <opml/>');
  });

  it('records follow-ups and answers with_response=true with the callback response', async () => {
    const reply = await fake.runCommand({ guildId: GUILD, channelId: CH, userId: ALICE, name: 'multi' });
    expect(reply.content).toBe('first');
    await until(() => reply.followUps.length === 1);
    expect(reply.followUps[0]).toMatchObject({ content: 'second', ephemeral: true });

    const info = await fake.runCommand({ guildId: GUILD, channelId: CH, userId: ALICE, name: 'info' });
    await until(() => infoResponseMessageId !== null);
    expect(infoResponseMessageId).toBe(info.messageId);
  });

  let embedMessageId = '';
  it('receives an embed message with allowedMentions and an edit of it', async () => {
    const channel = client.channels.cache.get(CH) as TextChannel;
    const sent = await channel.send({
      embeds: [new EmbedBuilder().setTitle('Korea talks resume').setURL('https://news.example/a').setDescription('Summary').setTimestamp(new Date())],
      allowedMentions: { parse: [] },
    });
    embedMessageId = sent.id;
    const m = await fake.waitForMessage(CH, (x) => x.embeds[0]?.title === 'Korea talks resume');
    expect(m.id).toBe(sent.id);
    expect(m.authorId).toBe(BOT);
    expect(m.allowedMentions).toEqual({ parse: [] });
    expect(sent.author.id).toBe(BOT);
    expect(sent.embeds[0]?.url).toBe('https://news.example/a');

    const edited = fake.waitForEdit(CH, sent.id, (x) => x.embeds[0]?.description === 'Summary\nRating: ★★★★☆');
    await sent.edit({ embeds: [EmbedBuilder.from(sent.embeds[0]!).setDescription('Summary\nRating: ★★★★☆')] });
    const e = await edited;
    expect(e.editedCount).toBe(1);
    // no GuildMessages intent → the bot never hears MESSAGE_CREATE, even for its own messages
    expect(messageCreates).toBe(0);
  });

  it('dispatches reaction add/remove, including the bot\'s own and on uncached messages', async () => {
    reactionEvents.length = 0;
    fake.addReaction({ channelId: CH, messageId: embedMessageId, userId: ALICE, emoji: '4️⃣' });
    await until(() => reactionEvents.length === 1);
    expect(reactionEvents[0]).toMatchObject({ kind: 'add', emoji: '4️⃣', userId: ALICE, messageId: embedMessageId, wasPartial: false });
    fake.removeReaction({ channelId: CH, messageId: embedMessageId, userId: ALICE, emoji: '4️⃣' });
    await until(() => reactionEvents.length === 2);
    expect(reactionEvents[1]).toMatchObject({ kind: 'remove', emoji: '4️⃣', userId: ALICE });

    // the bot's own reaction comes back as MESSAGE_REACTION_ADD with the bot's id
    const channel = client.channels.cache.get(CH) as TextChannel;
    await channel.messages.cache.get(embedMessageId)!.react('1️⃣');
    await until(() => reactionEvents.length === 3);
    expect(reactionEvents[2]).toMatchObject({ kind: 'add', emoji: '1️⃣', userId: BOT });
    expect(fake.messages(CH).find((m) => m.id === embedMessageId)?.reactions.get('1️⃣')).toEqual(new Set([BOT]));

    // a message discord.js never cached (posted through the raw REST client)
    const raw = (await client.rest.post(Routes.channelMessages(CH), { body: { content: 'raw' } })) as { id: string };
    expect(channel.messages.cache.has(raw.id)).toBe(false);
    fake.addReaction({ channelId: CH, messageId: raw.id, userId: ALICE, emoji: '5️⃣' });
    await until(() => reactionEvents.length === 4);
    expect(reactionEvents[3]).toMatchObject({ kind: 'add', emoji: '5️⃣', userId: ALICE, messageId: raw.id, wasPartial: true });
    // and a user's message, also uncached
    const userMsg = fake.postUserMessage({ channelId: CH, userId: ALICE, content: 'hello' });
    fake.removeReaction({ channelId: CH, messageId: userMsg.id, userId: ALICE, emoji: '5️⃣' }); // nothing to remove → no event
    fake.addReaction({ channelId: CH, messageId: userMsg.id, userId: MOD, emoji: 'custom:1500000000000000001' });
    await until(() => reactionEvents.length === 5);
    expect(reactionEvents[4]).toMatchObject({ kind: 'add', emoji: 'custom', userId: MOD, wasPartial: true });
    // GET reactions
    const users = (await client.rest.get(Routes.channelMessageReaction(CH, embedMessageId, encodeURIComponent('1️⃣')))) as { id: string }[];
    expect(users.map((u) => u.id)).toEqual([BOT]);
  });

  it('retries after an injected 429 (rest emits rateLimited) and the message still lands', async () => {
    rateLimits.length = 0;
    fake.failNext(/^\/channels\/\d+\/messages$/, { status: 429, retryAfterSeconds: 0.2 });
    const t0 = Date.now();
    const channel = client.channels.cache.get(CH2) as TextChannel;
    const sent = await channel.send({ content: 'after 429', allowedMentions: { parse: [] } });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(180);
    expect(rateLimits).toHaveLength(1);
    expect(rateLimits[0]).toMatchObject({ retryAfter: expect.any(Number), scope: 'user', global: false });
    const statuses = fake.requests.filter((r) => r.method === 'POST' && r.path === `/channels/${CH2}/messages`).map((r) => r.status);
    expect(statuses.slice(-2)).toEqual([429, 200]);
    expect((await fake.waitForMessage(CH2, (m) => m.content === 'after 429')).id).toBe(sent.id);
  });

  it('retries a 500', async () => {
    fake.failNext(/^POST \/channels\/\d+\/messages$/, { status: 500 });
    const channel = client.channels.cache.get(CH2) as TextChannel;
    await channel.send({ content: 'after 500', allowedMentions: { parse: [] } });
    const statuses = fake.requests.filter((r) => r.method === 'POST' && r.path === `/channels/${CH2}/messages`).map((r) => r.status);
    expect(statuses.slice(-2)).toEqual([500, 200]);
    expect(fake.messages(CH2).map((m) => m.content)).toEqual(['after 429', 'after 500']);
  });

  it('puts a body that violates the API contract into problems (and answers 400 like Discord)', async () => {
    const before = fake.problems.length;
    const err = await client.rest
      .post(Routes.channelMessages(CH), { body: { embeds: [{ title: 'x'.repeat(300) }] } })
      .then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(DiscordAPIError);
    expect((err as DiscordAPIError).code).toBe(50035);
    const added = fake.problems.splice(before);
    expect(added.join('\n')).toMatch(/embeds\.0\.title: too big \(maximum 256\)/);

    // content over 2000 (the spec says 4000) and a non-http embed url
    await client.rest.post(Routes.channelMessages(CH), { body: { content: 'y'.repeat(2001), embeds: [{ url: 'javascript:alert(1)' }] } }).catch(() => undefined);
    const more = fake.problems.splice(before);
    expect(more.join('\n')).toMatch(/content: too big/);
    expect(more.join('\n')).toMatch(/not a well formed URL/);

    // unknown routes are problems too
    await client.rest.get('/nope/123').catch(() => undefined);
    expect(fake.problems.splice(before)).toEqual([expect.stringMatching(/unknown route GET \/nope\/123/)]);
  });

  it('covers the rest of the message and interaction API without contract problems', async () => {
    const channel = client.channels.cache.get(CH2) as TextChannel;
    const embed = new EmbedBuilder()
      .setTitle('T')
      .setURL('https://x.example/a?b=1')
      .setDescription('d')
      .setAuthor({ name: 'Src', url: 'https://x.example', iconURL: 'https://x.example/i.png' })
      .setFooter({ text: 'React 1-5', iconURL: 'https://x.example/f.png' })
      .setThumbnail('https://x.example/t.png')
      .setImage('https://x.example/i.jpg')
      .addFields({ name: 'Rating', value: 'none yet', inline: true })
      .setTimestamp(new Date('2024-03-01T12:00:00+09:00'))
      .setColor(0x123456);
    // enforce_nonce: the same nonce returns the same message (idempotent send)
    const a = await channel.send({ embeds: [embed], allowedMentions: { parse: [] }, nonce: '777', enforceNonce: true });
    const b = await channel.send({ embeds: [embed], allowedMentions: { parse: [] }, nonce: '777', enforceNonce: true });
    expect(b.id).toBe(a.id);
    const withFile = await channel.send({ content: 'file', files: [{ attachment: Buffer.from('zzz'), name: 'z.txt', description: 'desc' }] });
    expect(withFile.attachments.first()?.name).toBe('z.txt');
    expect(fake.messages(CH2).at(-1)?.attachments[0]).toMatchObject({ filename: 'z.txt', description: 'desc' });
    expect(await (await fetch(withFile.attachments.first()!.url)).text()).toBe('zzz');

    await a.react('1️⃣');
    fake.addReaction({ channelId: CH2, messageId: a.id, userId: ALICE, emoji: '2️⃣' });
    await until(() => a.reactions.cache.get('2️⃣')?.users.cache.has(ALICE) === true);
    await a.reactions.cache.get('2️⃣')!.users.remove(ALICE); // needs Manage Messages (the default bot permissions have it)
    expect(fake.messages(CH2).find((m) => m.id === a.id)?.reactions.has('2️⃣')).toBe(false);
    await a.suppressEmbeds(true);
    expect(fake.messages(CH2).find((m) => m.id === a.id)?.flags).toBe(MessageFlags.SuppressEmbeds);
    expect((await channel.messages.fetch({ limit: 10 })).size).toBe(fake.messages(CH2).length);
    await a.reactions.removeAll();
    await a.delete();
    expect(fake.messages(CH2).some((m) => m.id === a.id)).toBe(false);

    fake.failNext(/messages$/, { status: 429, retryAfterSeconds: 0.1, global: true });
    await channel.send('after global 429');
    fake.failNext(/messages$/, { status: 503 }, 2);
    await channel.send('after 503 twice');
    expect(fake.requests.slice(-5).map((r) => r.status)).toEqual([429, 200, 503, 503, 200]);

    const mark = fake.requests.length;
    const reply = await fake.runCommand({ guildId: GUILD, channelId: CH, userId: ALICE, name: 'lifecycle' });
    expect(reply).toMatchObject({ type: 'deferred', ephemeral: true, content: 'with file' });
    expect(reply.files.map((f) => f.filename)).toEqual(['a.txt']);
    await until(() => reply.deleted);
    expect(reply.content).toBe('edited again');
    expect(reply.followUps).toEqual([expect.objectContaining({ content: 'fu edited', ephemeral: false })]);
    const calls = fake.requests.slice(mark).map((r) => `${r.method} ${r.path.replace(/^\/(webhooks\/\d+|interactions\/\d+)\/[^/]+/, '')}`);
    expect(calls).toEqual([
      'POST /callback',
      'GET /messages/@original',
      'PATCH /messages/@original',
      'POST ',
      `PATCH /messages/${reply.followUps[0]!.id}`,
      'PATCH /messages/@original',
      'DELETE /messages/@original',
    ]);
  });

  it('answers 404 Unknown Channel after deleteChannel and dispatches CHANNEL_DELETE', async () => {
    fake.deleteChannel(CH_GONE);
    await until(() => channelDeletes.includes(CH_GONE));
    expect(client.channels.cache.has(CH_GONE)).toBe(false);
    const err = await client.rest.post(Routes.channelMessages(CH_GONE), { body: { content: 'hi' } }).then(() => null, (e: unknown) => e);
    expect((err as DiscordAPIError).code).toBe(10003);
    const cat = await client.rest.post(Routes.channelMessages(CATEGORY), { body: { content: 'hi' } }).then(() => null, (e: unknown) => e);
    expect((cat as DiscordAPIError).code).toBe(50008);
  });

  it('survives a gateway disconnect: RESUME replays events missed meanwhile', async () => {
    const n = reactionEvents.length;
    fake.disconnectGateway();
    fake.addReaction({ channelId: CH, messageId: embedMessageId, userId: ALICE, emoji: '3️⃣' }); // while disconnected
    await until(() => reactionEvents.length === n + 1, 5000);
    expect(reactionEvents[n]).toMatchObject({ kind: 'add', emoji: '3️⃣', userId: ALICE });
    expect(fake.identifyCount).toBe(1); // resumed, not re-identified
    expect(fake.connectedSessions()).toBe(1);
  });

  it('does not dispatch reactions to a client without GuildMessageReactions', async () => {
    const deaf = new Client({
      intents: [GatewayIntentBits.Guilds],
      partials: [Partials.Message, Partials.Reaction, Partials.User, Partials.Channel],
      rest: { api: fake.apiUrl },
    });
    const heard: string[] = [];
    deaf.on(Events.MessageReactionAdd, (r) => heard.push(r.emoji.name ?? ''));
    try {
      const ready = new Promise<void>((resolve) => deaf.once(Events.ClientReady, () => resolve()));
      await deaf.login(TOKEN);
      await ready;
      expect(fake.identifyCount).toBe(2);
      expect(fake.connectedSessions()).toBe(2);
      const n = reactionEvents.length;
      fake.addReaction({ channelId: CH, messageId: embedMessageId, userId: MOD, emoji: '2️⃣' });
      await until(() => reactionEvents.length === n + 1); // the main client hears it...
      await sleep(100);
      expect(heard).toEqual([]); // ...the one without the intent does not
    } finally {
      await deaf.destroy();
    }
  });

  it('rejects login with a bad token', async () => {
    const before = fake.problems.length;
    const bad = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: fake.apiUrl } });
    try {
      await expect(bad.login('not.the.token')).rejects.toThrow(/token/i);
    } finally {
      await bad.destroy();
    }
    expect(fake.problems.splice(before)).toEqual([expect.stringMatching(/bad auth on GET \/gateway\/bot/)]);
  });

  it('rejects runCommand when the bot never answers', async () => {
    await expect(fake.runCommand({ guildId: GUILD, channelId: CH, userId: ALICE, name: 'unknown-cmd', timeoutMs: 200 })).rejects.toThrow(/did not answer/);
  });

  it('saw no contract problems from legitimate discord.js traffic', () => {
    expect(fake.problems).toEqual([]);
  });
});
