// `herald doctor`: checks what Herald needs, one line each, ✔ or ✘ with what to do. Talks to Discord over REST only
// (no gateway, so it can run beside a running Herald), every request bounded; never prints the token.
import { randomBytes } from 'node:crypto';
import { PermissionFlagsBits, PermissionsBitField } from 'discord.js';
import { commands as allCommands } from '../../commands/index.js';
import { ConfigError, loadConfig, type Config } from '../config/config.js';
import type { Command } from '../discord/command.js';
import { inviteLink } from '../discord/invite.js';
import { computeChannelPermissions, type RestOverwrite, type RestRole } from '../discord/permissions.js';
import { cronPeriodMs, formatDuration } from '../feeds/poll/scheduler.js';
import type { FeedRecord } from '../feeds/records.js';
import type { SubscriptionRecord } from '../match/records.js';
import { openStore, type Store, type StoreOptions } from '../repositories.js';

export const DOCTOR_USAGE = `Usage: npm run herald -- doctor
  Checks the configuration, the token, the invite link, the slash commands, the permissions in every subscribed
  channel, the store and the feeds; prints ✔ or ✘ with the fix for each. Exit code 0 when everything is ✔.`;

/** What an alert channel needs: post alerts (View, Send, Embed Links) and add the rating reactions. */
const CHANNEL_NEEDS: Array<[bigint, string]> = [
  [PermissionFlagsBits.ViewChannel, 'View Channel'],
  [PermissionFlagsBits.SendMessages, 'Send Messages'],
  [PermissionFlagsBits.EmbedLinks, 'Embed Links'],
  [PermissionFlagsBits.AddReactions, 'Add Reactions'],
];
/** Per request; a hung API must not hang the doctor. */
const REQUEST_TIMEOUT_MS = 10_000;
/** Channels checked at most (each costs a few requests); the rest are counted, not checked. */
const MAX_CHANNELS = 200;
/** A feed not polled for this many poll periods (and at least 10 minutes) is stale: is Herald running? */
const STALE_PERIODS = 5;

export interface DoctorOptions {
  env: Record<string, string | undefined>;
  /** Store options beyond STORE_URL (tests: a key prefix). */
  storeOptions?: StoreOptions;
  clock?: () => Date;
  /** The commands Herald registers (default: every command in commands/). */
  commands?: Command[];
  requestTimeoutMs?: number;
}

class DiscordHttpError extends Error {
  constructor(
    readonly status: number,
    readonly path: string,
    readonly code: number | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** A GET on Discord's REST API with the bot token, bounded in time; one bounded wait on a short 429. */
function discordGetter(config: Config, timeoutMs: number) {
  return async function get<T>(path: string): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await fetch(`${config.discordApiUrl}/v10${path}`, {
          headers: { authorization: `Bot ${config.discordToken}`, 'user-agent': config.userAgent },
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        const reason = error instanceof Error && error.name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : String((error as Error).cause ?? error);
        throw new DiscordHttpError(0, path, undefined, `cannot reach ${config.discordApiUrl} (${reason})`);
      }
      const body = (await res.json().catch(() => null)) as Record<string, unknown> | null;
      if (res.ok) return body as T;
      const retryAfter = Number(body?.retry_after ?? res.headers.get('retry-after'));
      if (res.status === 429 && attempt < 2 && retryAfter >= 0 && retryAfter <= 5) {
        await new Promise((r) => setTimeout(r, retryAfter * 1000 + 100));
        continue;
      }
      throw new DiscordHttpError(res.status, path, typeof body?.code === 'number' ? body.code : undefined, `${res.status} ${String(body?.message ?? res.statusText)}`);
    }
  };
}

type Line = (ok: boolean, text: string, fix?: string) => void;

/** Runs the checks; returns 0 when all pass, 1 otherwise. */
export async function runDoctor(options: DoctorOptions, write: (line: string) => void): Promise<number> {
  let failures = 0;
  const line: Line = (ok, text, fix) => {
    if (!ok) failures++;
    write(`${ok ? '✔' : '✘'} ${text}${!ok && fix ? `\n    → ${fix}` : ''}`);
  };
  const clock = options.clock ?? (() => new Date());

  let config: Config;
  try {
    config = loadConfig(options.env);
    line(true, 'configuration loads');
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    line(false, 'configuration', error.message.replace(/\n/g, '\n      '));
    return 1;
  }

  const get = discordGetter(config, options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS);
  const discordOk = await checkDiscord(config, get, options.commands ?? allCommands, line);

  let store: Store | undefined;
  try {
    store = await openStore(config.storeUrl, options.storeOptions);
    const key = `doctor:probe:${randomBytes(6).toString('hex')}`;
    const value = { at: clock().toISOString() };
    await store.meta.set(key, value, 60_000);
    const read = (await store.meta.get(key)) as typeof value | undefined;
    await store.meta.delete(key);
    const gone = (await store.meta.get(key)) === undefined;
    if (read?.at !== value.at || !gone) line(false, `store ${store.describe} answers but did not give back what was written`, 'check that nothing else writes to it (one Herald per store) and that its disk is not full');
    else line(true, `store ${store.describe} is reachable and writable`);
  } catch (error) {
    line(false, `store: ${error instanceof Error ? error.message : String(error)}`, 'start the store server or fix STORE_URL in .env');
    return 1;
  }

  try {
    if (discordOk) await checkChannels(store, discordOk.botUserId, get, line);
    else write('· subscribed channels not checked: they need a valid token');
    await checkFeeds(store, config, clock(), line);
  } finally {
    await store.close();
  }

  write(failures ? `\n${failures} problem${failures === 1 ? '' : 's'} found.` : '\nEverything looks right.');
  return failures ? 1 : 0;
}

async function checkDiscord(config: Config, get: ReturnType<typeof discordGetter>, commands: Command[], line: Line): Promise<{ botUserId: string } | null> {
  let me: { id: string; username: string };
  try {
    me = await get('/users/@me');
    line(true, `token is valid: logged in as ${me.username} (${me.id})`);
  } catch (error) {
    if (error instanceof DiscordHttpError && error.status === 401) {
      line(false, 'Discord rejected DISCORD_TOKEN', 'open https://discord.com/developers/applications → your application → Bot → Reset Token, and put the new token in .env');
    } else {
      line(false, `Discord: ${(error as Error).message}`, 'check the network, or DISCORD_API_URL in .env (leave it unset for discord.com)');
    }
    return null;
  }

  let applicationId: string;
  try {
    applicationId = (await get<{ id: string }>('/applications/@me')).id;
    line(true, `application id ${applicationId}; invite link:\n    ${inviteLink(applicationId)}`);
  } catch (error) {
    line(false, `could not read the application: ${(error as Error).message}`, 'try again in a minute; the token works, so this is on Discord\'s side');
    return { botUserId: me.id };
  }

  const scope = config.guildId ? `server ${config.guildId}` : 'globally';
  try {
    const path = config.guildId ? `/applications/${applicationId}/guilds/${config.guildId}/commands` : `/applications/${applicationId}/commands`;
    const registered = await get<Array<{ name: string; description: string; options?: unknown[] }>>(path);
    const differences = commandDifferences(
      commands.map((c) => c.data.toJSON() as { name: string; description: string; options?: unknown[] }),
      registered,
    );
    if (differences.length) line(false, `slash commands registered ${scope} differ from Herald's: ${differences.join('; ')}`, 'start Herald (npm start): it registers them at start. Global changes can take up to an hour to show; GUILD_ID makes them instant in one server');
    else line(true, `${registered.length} slash commands registered ${scope}, as Herald defines them`);
  } catch (error) {
    const missingAccess = error instanceof DiscordHttpError && (error.status === 403 || error.status === 404);
    line(
      false,
      `could not list the slash commands ${scope}: ${(error as Error).message}`,
      missingAccess && config.guildId ? `Herald is not in server ${config.guildId}: invite it with the link above, or fix GUILD_ID` : 'try again in a minute',
    );
  }
  return { botUserId: me.id };
}

type CommandShape = { name: string; description: string; options?: unknown[] };

/** What differs between the definitions Herald registers and what Discord has: missing, extra, changed (by name). */
export function commandDifferences(expected: CommandShape[], registered: CommandShape[]): string[] {
  const shape = (c: CommandShape): string => JSON.stringify(optionShape({ name: c.name, description: c.description, options: c.options }));
  const byName = new Map(registered.map((c) => [c.name, c]));
  const out: string[] = [];
  const missing = expected.filter((c) => !byName.has(c.name)).map((c) => `/${c.name}`);
  const extra = registered.filter((c) => !expected.some((e) => e.name === c.name)).map((c) => `/${c.name}`);
  const changed = expected.filter((c) => byName.has(c.name) && shape(byName.get(c.name)!) !== shape(c)).map((c) => `/${c.name}`);
  if (missing.length) out.push(`missing ${missing.join(', ')}`);
  if (extra.length) out.push(`not Herald's ${extra.join(', ')}`);
  if (changed.length) out.push(`out of date ${changed.join(', ')}`);
  return out;
}

/** Names, descriptions, types and sub-options only: Discord adds defaults (required: false, ids) to what it stores. */
function optionShape(o: unknown): unknown {
  if (!o || typeof o !== 'object') return o;
  const r = o as Record<string, unknown>;
  return {
    name: r.name,
    description: r.description,
    type: r.type ?? null,
    options: Array.isArray(r.options) && r.options.length ? r.options.map(optionShape) : [],
  };
}

async function checkChannels(store: Store, botUserId: string, get: ReturnType<typeof discordGetter>, line: Line): Promise<void> {
  const channels = new Map<string, { guildId: string; subscriptions: number }>();
  for await (const [, sub] of store.subscriptions.entries()) {
    const s = sub as SubscriptionRecord;
    const known = channels.get(s.channelId);
    channels.set(s.channelId, { guildId: s.guildId, subscriptions: (known?.subscriptions ?? 0) + 1 });
  }
  if (!channels.size) {
    line(true, 'no subscribed channels yet (run /subscribe in a channel)');
    return;
  }
  const guilds = new Map<string, Promise<{ ownerId: string | null; roles: RestRole[]; memberRoleIds: string[] } | Error>>();
  const guildInfo = (guildId: string) => {
    let info = guilds.get(guildId);
    if (!info) {
      info = (async () => {
        try {
          const [guild, roles, member] = await Promise.all([
            get<{ owner_id?: string }>(`/guilds/${guildId}`),
            get<RestRole[]>(`/guilds/${guildId}/roles`),
            get<{ roles: string[] }>(`/guilds/${guildId}/members/${botUserId}`),
          ]);
          return { ownerId: guild.owner_id ?? null, roles, memberRoleIds: member.roles };
        } catch (error) {
          return error as Error;
        }
      })();
      guilds.set(guildId, info);
    }
    return info;
  };

  let fine = 0;
  const checked = [...channels].slice(0, MAX_CHANNELS);
  for (const [channelId, { guildId, subscriptions }] of checked) {
    const where = `channel ${channelId} (server ${guildId}, ${subscriptions} subscription${subscriptions === 1 ? '' : 's'})`;
    const info = await guildInfo(guildId);
    if (info instanceof Error) {
      const gone = info instanceof DiscordHttpError && (info.status === 403 || info.status === 404);
      line(false, `${where}: ${gone ? 'Herald is not in that server any more' : `could not read the server: ${info.message}`}`, gone ? 'invite Herald again with the link above, or /unsubscribe there' : 'run doctor again in a minute');
      continue;
    }
    let channel: { name?: string; permission_overwrites?: RestOverwrite[] };
    try {
      channel = await get(`/channels/${channelId}`);
    } catch (error) {
      const status = error instanceof DiscordHttpError ? error.status : 0;
      if (status === 404) line(false, `${where}: the channel no longer exists`, 'nothing to do: Herald removes its subscriptions at the next alert, or /unsubscribe them');
      else if (status === 403) line(false, `${where}: Herald cannot see the channel (View Channel)`, "give Herald's role View Channel in that channel's permissions");
      else line(false, `${where}: ${(error as Error).message}`, 'run doctor again in a minute');
      continue;
    }
    const perms = computeChannelPermissions({ guildId, ownerId: info.ownerId, userId: botUserId, memberRoleIds: info.memberRoleIds, roles: info.roles, overwrites: channel.permission_overwrites ?? [] });
    const missing = CHANNEL_NEEDS.filter(([flag]) => new PermissionsBitField(perms).has(flag, false) === false).map(([, name]) => name);
    const label = `#${channel.name ?? channelId} (${channelId}, server ${guildId})`;
    if (missing.length) {
      line(false, `${label}: Herald lacks ${missing.join(', ')}`, `in that channel's settings → Permissions, allow ${missing.join(', ')} for Herald's role (a channel overwrite that denies them to @everyone or a role Herald has wins over the server-wide role)`);
    } else fine++;
  }
  if (fine) line(true, `${fine} subscribed channel${fine === 1 ? '' : 's'} let Herald view, send, embed links and add reactions`);
  if (channels.size > checked.length) line(false, `${channels.size - checked.length} more subscribed channels were not checked (doctor checks ${MAX_CHANNELS})`, 'nothing to fix here; the checked ones are representative');
}

async function checkFeeds(store: Store, config: Config, now: Date, line: Line): Promise<void> {
  const periodMs = cronPeriodMs(config.pollCron);
  const staleMs = Math.max(STALE_PERIODS * periodMs, 10 * 60_000);
  const feeds: FeedRecord[] = [];
  for await (const [, feed] of store.feeds.entries()) feeds.push(feed as FeedRecord);
  if (!feeds.length) {
    line(true, 'no feeds followed yet (run /feed add)');
    return;
  }
  let healthy = 0;
  let newest = 0;
  for (const feed of feeds) {
    const polled = feed.lastPolledAt ? Date.parse(feed.lastPolledAt) : Number.NaN;
    if (Number.isFinite(polled)) newest = Math.max(newest, polled);
    const age = Number.isFinite(polled) ? formatDuration(Math.max(0, now.getTime() - polled)) : null;
    if (feed.disabledReason) {
      line(false, `feed ${feed.url}: disabled (${feed.disabledReason})`, 'when the site works again, /feed retry url: brings it back; or /feed remove it');
    } else if (feed.consecutiveFailures > 0) {
      line(false, `feed ${feed.url}: failing, ${feed.consecutiveFailures} attempt${feed.consecutiveFailures === 1 ? '' : 's'}, last polled ${age ?? 'never'} ago: ${feed.lastError ?? 'unknown error'}`, '/feed status shows when it is tried next; /feed retry tries now');
    } else if (!Number.isFinite(polled)) {
      line(false, `feed ${feed.url}: never polled`, 'start Herald (npm start); feeds are polled on POLL_CRON');
    } else if (now.getTime() - polled > staleMs && !(feed.nextPollAt && Date.parse(feed.nextPollAt) > now.getTime())) {
      line(false, `feed ${feed.url}: last polled ${age} ago`, 'is Herald running? (systemctl status herald, or the logs)');
    } else healthy++;
  }
  if (healthy) line(true, `${healthy} of ${feeds.length} feed${feeds.length === 1 ? '' : 's'} healthy; last poll ${newest ? `${formatDuration(Math.max(0, now.getTime() - newest))} ago` : 'never'}`);
}
