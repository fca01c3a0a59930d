import { deferPrivately, fitMessage, replyPrivately } from '../../src/discord/reply.js';
import { FeedProblem } from '../../src/feeds/follow/feed-service.js';
import { inlineMarkdown } from '../../src/text/discord-markdown.js';
import { title, type FeedSubcommand } from './shared.js';

/** /feed add url: follow a feed, or the one a site page links to. */
export const add: FeedSubcommand = async (interaction, services) => {
  const guildId = interaction.guildId!;
  await deferPrivately(interaction);
  try {
    const { feed, itemCount, alreadyFollowed } = await services.feeds.follow(guildId, interaction.options.getString('url', true));
    if (alreadyFollowed) return replyPrivately(interaction, `This server already follows **${title(feed)}** (${feed.url}).`);
    const subs = services.subscriptions.listForGuild(guildId).length;
    const next = subs ? 'Matching new stories will be posted to the subscribed channels.' : 'Now choose what to be alerted about with /subscribe.';
    return replyPrivately(interaction, `Following **${title(feed)}** (${feed.url}). Its ${itemCount} current items count as already seen, so only new stories alert. ${next}`);
  } catch (error) {
    if (error instanceof FeedProblem && error.code === 'several-feeds') {
      const list = error.candidates.map((c) => `• ${c.title ? `${inlineMarkdown(c.title, 150)}: ` : ''}${c.url}`).join('\n');
      return replyPrivately(interaction, fitMessage(`${error.message}\n${list}`));
    }
    throw error;
  }
};
