import { PermissionFlagsBits, SlashCommandBuilder, type Guild } from 'discord.js';
import { heraldVersion, storeKind } from '../src/config/version.js';
import { permissionGaps } from '../src/discord/alert-channel.js';
import { listed, pauseReason, resumeIfPermitted } from '../src/discord/channel-pauses.js';
import type { Command } from '../src/discord/command.js';
import { discordTime, feedHealth } from '../src/discord/feed-health.js';
import { deferPrivately, fitMessage, replyPrivately } from '../src/discord/reply.js';
import type { GuildError } from '../src/alerts/guild-activity.js';
import type { FeedRecord } from '../src/feeds/records.js';
import { formatDuration } from '../src/feeds/poll/scheduler.js';
import type { Services } from '../src/services.js';
import { inlineMarkdown } from '../src/text/discord-markdown.js';

/** Failing or disabled feeds named one by one, at most. */
const MAX_FEEDS_NAMED = 5;
/** Channels with a permission problem named one by one, at most. */
const MAX_CHANNELS_NAMED = 10;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const feedName = (feed: Pick<FeedRecord, 'title' | 'url'>) => `**${inlineMarkdown(feed.title, 100) || 'untitled'}** <${feed.url}>`;

/** This server's feeds: how many are ok, failing, disabled; the broken ones by name. */
function feedLines(records: Array<FeedRecord | undefined>, services: Services): string[] {
  if (records.length === 0) return ['**Feeds**: none yet. Add one with /feed add url:<feed or site URL>.'];
  const now = services.clock();
  const counts = { ok: 0, new: 0, failing: 0, disabled: 0 };
  const broken: string[] = [];
  for (const record of records) {
    const health = record ? feedHealth(record, now) : { state: 'new' as const, summary: '' };
    counts[health.state]++;
    if (record && (health.state === 'failing' || health.state === 'disabled') && broken.length < MAX_FEEDS_NAMED) {
      broken.push(`• ${feedName(record)} — ${health.summary}: ${inlineMarkdown(record.disabledReason ?? record.lastError ?? 'unknown error', 200)}`);
    }
  }
  const parts = [`✅ ${counts.ok} ok`, `⚠️ ${counts.failing} failing`, `⛔ ${counts.disabled} disabled`, ...(counts.new ? [`🆕 ${counts.new} not polled yet`] : [])];
  const next = counts.disabled ? ' Fix a disabled feed, then /feed retry url:<feed>.' : counts.failing ? ' Herald keeps retrying failing feeds; /feeds status shows details.' : '';
  return [`**Feeds**: ${plural(records.length, 'feed')} — ${parts.join(' · ')}.${next}`, ...broken];
}

/** The newest error that concerns this server: a send error it kept, or one of its feeds' last errors. */
function lastErrorLine(sendError: GuildError | null, records: Array<FeedRecord | undefined>): string {
  let newest: { at: string; text: string } | null = sendError
    ? { at: sendError.at, text: `${sendError.channelId ? `in <#${sendError.channelId}>: ` : ''}${inlineMarkdown(sendError.text, 300)}` }
    : null;
  for (const feed of records) {
    if (!feed?.lastError || !feed.lastErrorAt) continue;
    if (!newest || feed.lastErrorAt > newest.at) newest = { at: feed.lastErrorAt, text: `feed ${feedName(feed)}: ${inlineMarkdown(feed.lastError, 300)}` };
  }
  return `**Last error**: ${newest ? `${discordTime(newest.at)} ${newest.text}` : 'none.'}`;
}

/**
 * The subscribed channels where Herald lacks what alerts need; paused channels whose permissions are back are
 * resumed on the way (that is the check /subscriptions resume does).
 */
async function channelLines(guild: Guild | null, guildId: string, services: Services): Promise<string[]> {
  const channelIds = new Set([...services.subscriptions.listForGuild(guildId).map((s) => s.channelId), ...services.subscriptions.pausedInGuild(guildId).map((p) => p.channelId)]);
  if (channelIds.size === 0) return ['**Channels**: no subscriptions yet. Add one with /subscribe query:<words>.'];
  const problems: string[] = [];
  const resumed: string[] = [];
  for (const channelId of channelIds) {
    const channel = `<#${channelId}>`;
    const pause = services.subscriptions.pauseOf(channelId);
    if (pause) {
      const outcome = await resumeIfPermitted(guild, channelId, services);
      if (outcome.kind === 'resumed') {
        resumed.push(`▶️ ${channel} resumed: Herald may post there again${outcome.waiting ? `; ${plural(outcome.waiting, 'waiting alert')} being posted` : ''}.`);
        continue;
      }
      const still = outcome.kind === 'still-missing' ? `: still lacks ${listed(outcome.missing)}` : '';
      problems.push(`⏸️ ${channel} ${pauseReason(pause)}${still}. Grant it, then /subscriptions resume there.`);
      continue;
    }
    const gaps = permissionGaps(guild ?? undefined, channelId);
    if (!gaps) continue;
    if (gaps.blocking.length) problems.push(`⚠️ ${channel}: Herald lacks ${listed(gaps.blocking)}, so alerts there will fail. Give Herald's role ${listed(gaps.blocking)} there.`);
    else if (gaps.reactions.length) problems.push(`⚠️ ${channel}: Herald lacks ${listed(gaps.reactions)}: alerts post, without the 1️⃣–5️⃣ rating reactions.`);
  }
  const shown = problems.slice(0, MAX_CHANNELS_NAMED);
  if (problems.length > shown.length) shown.push(`… and ${problems.length - shown.length} more.`);
  const head = problems.length
    ? `**Channels**: ${plural(channelIds.size, 'subscribed channel')}; ${problems.length} with a permission problem:`
    : `**Channels**: Herald has what it needs in all ${plural(channelIds.size, 'subscribed channel')} (View Channel, Send Messages, Embed Links, Add Reactions).`;
  return [head, ...shown, ...resumed];
}

export const command: Command = {
  requiredPermission: PermissionFlagsBits.ManageChannels,
  requiredPermissionName: 'Manage Channels',
  data: new SlashCommandBuilder()
    .setName('status')
    .setDescription("Is Herald healthy here? Feeds, alerts posted and waiting, last error, channel permissions")
    .setDefaultMemberPermissions(PermissionFlagsBits.ManageChannels)
    .setDMPermission(false),

  async execute(interaction, services) {
    // store reads and an outbox scan: acknowledge first
    await deferPrivately(interaction);
    const guildId = interaction.guildId!;
    const activity = await services.activity.summary(guildId);
    // only this server's feeds: nothing here may name another server's
    const records = await Promise.all(services.feeds.followedBy(guildId).map((url) => services.feeds.record(url)));
    const lines = [
      `**Herald ${heraldVersion()}** · up ${formatDuration(process.uptime() * 1000)} · store: ${storeKind(services.config.storeUrl)}`,
      ...feedLines(records, services),
      `**Alerts** in this server: ${activity.postedToday} posted today (UTC), ${activity.postedThisWeek} in the last 7 days · ${activity.queued} waiting to be sent.`,
      lastErrorLine(activity.lastError, records),
      ...(await channelLines(interaction.guild, guildId, services)),
    ];
    await replyPrivately(interaction, fitMessage(lines.join('\n')));
  },
};
