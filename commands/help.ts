import { SlashCommandBuilder } from 'discord.js';
import type { Command } from '../src/discord/command.js';
import { replyPrivately } from '../src/discord/reply.js';

const HELP_TEXT = `**Herald posts news alerts for the words you care about.**
**Feeds**: \`/feeds list\` · \`/feeds status\` health and next poll · \`/feeds export\` OPML. Changes need Manage Channels: \`/feed add url:\` follow a feed (or a site's page: its feed is found) · \`/feed remove\` · \`/feed retry\` re-enable a failing feed · \`/feed import\` OPML
**Subscriptions**: \`/subscriptions list\` a channel's, with ids. Manage Channels: \`/subscribe query: [channel:]\` alerts for matching stories · \`/unsubscribe\` · \`/subscriptions resume\` after fixing a permission Herald lacked (its alerts there were paused)
**Queries**: phrases separated by commas or OR — \`North Korea, Pyongyang\`. A phrase matches its words in order, ignoring case and accents, on whole words (\`Korea\` matches "Korea's", not "Koreans"; \`Korea*\` matches both). \`+word\` requires another phrase, \`-word\` excludes, \`title:\` \`summary:\` \`source:\` \`author:\` \`category:\` narrow where to look, \`/regex/i\` for experts.
**Ratings**: react 1️⃣–5️⃣ on an alert; the embed shows the average. One vote per person; react again to change it.
Try a query first with \`/preview\`; ask \`/why\` when a story was not posted. Admins: \`/status\` shows Herald's health here.`;

export const command: Command = {
  data: new SlashCommandBuilder().setName('help').setDescription('How Herald works: feeds, subscriptions, queries and ratings'),
  async execute(interaction) {
    await replyPrivately(interaction, HELP_TEXT);
  },
};
