import { deferPrivately, replyPrivately } from '../../src/discord/reply.js';
import { inlineMarkdown } from '../../src/text/discord-markdown.js';
import { followedUrl, nextPoll, plural, title, type FeedSubcommand } from './shared.js';

/** /feed retry url: re-enable a disabled or failing feed and poll it now. */
export const retry: FeedSubcommand = async (interaction, services) => {
  const url = followedUrl(interaction, services, interaction.options.getString('url', true));
  await deferPrivately(interaction);
  const before = await services.feeds.record(url);
  const { outcome, newItems, feed } = await services.poller.retry(url);
  const name = feed ? `**${title(feed)}**` : url;
  const reenabled = before?.disabledReason ? 'is re-enabled and ' : '';
  if (outcome === 'failed' || outcome === 'disabled') {
    return replyPrivately(
      interaction,
      `⚠️ ${name} ${reenabled}still fails: ${inlineMarkdown(feed?.lastError ?? 'unknown error', 600)}. Herald keeps retrying (next try ${nextPoll(feed, services)}); check the address in a browser, or /feed remove it.`,
    );
  }
  const found = newItems ? `${plural(newItems, 'new item')} checked against this server's subscriptions` : 'nothing new since its last poll';
  return replyPrivately(interaction, `✅ ${name} ${reenabled}works: fetched just now, ${found}. It is polled every cycle again.`);
};
