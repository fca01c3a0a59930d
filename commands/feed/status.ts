import { fitMessage, replyPrivately } from '../../src/discord/reply.js';
import { discordTime, feedHealth } from '../../src/discord/feed-health.js';
import { inlineMarkdown } from '../../src/text/discord-markdown.js';
import { followedUrl, nextPoll, plural, title, type FeedSubcommand } from './shared.js';

/** /feeds status [url] (and /feed status): one feed's health in detail, or a line per followed feed. */
export const status: FeedSubcommand = async (interaction, services) => {
  const guildId = interaction.guildId!;
  const now = services.clock();
  const raw = interaction.options.getString('url');
  if (raw) {
    const url = followedUrl(interaction, services, raw);
    const feed = await services.feeds.record(url);
    if (!feed) return replyPrivately(interaction, `${url} hasn't been polled yet; it will be ${nextPoll(undefined, services)}. Ask again after that.`);
    const health = feedHealth(feed, now);
    const lines = [
      `**${title(feed)}** <${feed.url}>`,
      `Health: ${health.summary}${feed.disabledReason ? ` since ${discordTime(feed.disabledAt ?? feed.lastPolledAt)}: ${inlineMarkdown(feed.disabledReason, 600)}` : ''}`,
      `Last success: ${discordTime(feed.lastSuccessAt)} · Last new item: ${discordTime(feed.lastNewItemAt)}`,
      `Last error: ${feed.lastError ? `${inlineMarkdown(feed.lastError, 600)} (${discordTime(feed.lastErrorAt ?? feed.lastPolledAt)})` : 'none'}`,
      `Next poll: ${nextPoll(feed, services)}`,
    ];
    if (health.state === 'disabled') lines.push(`Once the feed works again (check it in a browser), run /feed retry url:${feed.url}`);
    else if (health.state === 'failing') lines.push('Herald keeps retrying, waiting longer each time; /feed retry polls it now.');
    return replyPrivately(interaction, fitMessage(lines.join('\n')));
  }
  const urls = services.feeds.followedBy(guildId);
  if (urls.length === 0) return replyPrivately(interaction, 'This server follows no feeds yet. Add one with /feed add url:<feed or site URL>.');
  const records = await Promise.all(urls.map((url) => services.feeds.record(url)));
  const lines = urls.map((url, i) => {
    const feed = records[i];
    if (!feed) return `• ${url} — 🆕 not polled yet`;
    return `• **${title(feed)}** ${feed.url} — ${feedHealth(feed, now).summary} · last success ${discordTime(feed.lastSuccessAt)} · next poll ${nextPoll(feed, services)}`;
  });
  const broken = records.filter((r) => r?.disabledReason).length;
  const hint = broken ? `${plural(broken, 'feed')} disabled: fix it, then /feed retry url:<feed>.` : 'Details for one feed: /feeds status url:<feed>.';
  return replyPrivately(interaction, fitMessage(`${plural(urls.length, 'feed')}:\n${lines.join('\n')}\n${hint}`, 2000));
};
