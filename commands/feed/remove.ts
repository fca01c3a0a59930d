import { replyPrivately } from '../../src/discord/reply.js';
import { UserFacingError } from '../../src/errors.js';
import type { FeedSubcommand } from './shared.js';

/** /feed remove url: stop following a feed (subscriptions stay). */
export const remove: FeedSubcommand = async (interaction, services) => {
  const guildId = interaction.guildId!;
  const raw = interaction.options.getString('url', true);
  const removed = services.feeds.resolveFollowed(guildId, raw);
  if (!removed || !(await services.feeds.unfollow(guildId, removed))) {
    throw new UserFacingError(`This server doesn't follow "${raw.slice(0, 200)}". /feeds list shows the feeds it follows.`);
  }
  return replyPrivately(interaction, `Stopped following ${removed}. Subscriptions stay; they match the remaining feeds.`);
};
