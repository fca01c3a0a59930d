import { fitMessage, replyPrivately } from '../../src/discord/reply.js';
import { inlineMarkdown } from '../../src/text/discord-markdown.js';
import { title, type FeedSubcommand } from './shared.js';

/** /feeds list (and /feed list): the feeds this server follows, with a word on the failing ones. */
export const list: FeedSubcommand = async (interaction, services) => {
  const feeds = await services.feeds.list(interaction.guildId!);
  if (feeds.length === 0) return replyPrivately(interaction, 'This server follows no feeds yet. Add one with /feed add url:<feed or site URL>.');
  const lines = feeds.map((f) => {
    const health = f.disabledReason ? ' — ⛔ disabled' : f.consecutiveFailures > 0 ? ` — ⚠️ failing: ${inlineMarkdown(f.lastError ?? 'unknown error', 300)}` : '';
    return `• **${title(f)}** ${f.url}${health}`;
  });
  return replyPrivately(interaction, fitMessage(`This server follows ${feeds.length} feed${feeds.length === 1 ? '' : 's'}:\n${lines.join('\n')}`));
};
