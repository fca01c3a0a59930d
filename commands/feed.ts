import { PermissionFlagsBits, SlashCommandBuilder } from 'discord.js';
import type { Command } from '../src/discord/command.js';
import { UserFacingError } from '../src/discord/command.js';
import { deferPrivately, fitMessage, replyPrivately } from '../src/discord/reply.js';
import { FeedProblem } from '../src/feeds/feed-service.js';

export const command: Command = {
  requiredPermission: PermissionFlagsBits.ManageChannels,
  requiredPermissionName: 'Manage Channels',
  data: new SlashCommandBuilder()
    .setName('feed')
    .setDescription("Manage the news feeds this server follows")
    .setDefaultMemberPermissions(PermissionFlagsBits.ManageChannels)
    .setDMPermission(false)
    .addSubcommand((s) =>
      s
        .setName('add')
        .setDescription('Follow a feed (RSS, Atom or JSON Feed), or a site page that links to one')
        .addStringOption((o) => o.setName('url').setDescription('Feed or site URL, e.g. https://feeds.bbci.co.uk/news/rss.xml').setRequired(true).setMaxLength(2000)),
    )
    .addSubcommand((s) =>
      s
        .setName('remove')
        .setDescription('Stop following a feed')
        .addStringOption((o) => o.setName('url').setDescription('The feed URL, as /feed list shows it').setRequired(true).setAutocomplete(true).setMaxLength(2000)),
    )
    .addSubcommand((s) => s.setName('list').setDescription('The feeds this server follows')),

  async execute(interaction, services) {
    const guildId = interaction.guildId!;
    const sub = interaction.options.getSubcommand();
    if (sub === 'add') {
      await deferPrivately(interaction);
      try {
        const { feed, itemCount, alreadyFollowed } = await services.feeds.follow(guildId, interaction.options.getString('url', true));
        if (alreadyFollowed) return replyPrivately(interaction, `This server already follows **${feed.title}** (${feed.url}).`);
        const subs = services.subscriptions.listForGuild(guildId).length;
        const next = subs ? 'Matching new stories will be posted to the subscribed channels.' : 'Now choose what to be alerted about with /subscribe.';
        return replyPrivately(interaction, `Following **${feed.title}** (${feed.url}). Its ${itemCount} current items count as already seen, so only new stories alert. ${next}`);
      } catch (error) {
        if (error instanceof FeedProblem && error.code === 'several-feeds') {
          const list = error.candidates.map((c) => `• ${c.title ? `${c.title}: ` : ''}${c.url}`).join('\n');
          return replyPrivately(interaction, fitMessage(`${error.message}\n${list}`));
        }
        throw error;
      }
    }
    if (sub === 'remove') {
      const raw = interaction.options.getString('url', true);
      const removed = services.feeds.resolveFollowed(guildId, raw);
      if (!removed || !(await services.feeds.unfollow(guildId, removed))) {
        throw new UserFacingError(`This server doesn't follow "${raw.slice(0, 200)}". /feed list shows the feeds it follows.`);
      }
      return replyPrivately(interaction, `Stopped following ${removed}. Subscriptions stay; they match the remaining feeds.`);
    }
    const feeds = await services.feeds.list(guildId);
    if (feeds.length === 0) return replyPrivately(interaction, 'This server follows no feeds yet. Add one with /feed add url:<feed or site URL>.');
    const lines = feeds.map((f) => {
      const health = f.disabledReason ? ' — ⛔ disabled' : f.consecutiveFailures > 0 ? ` — ⚠️ failing: ${f.lastError ?? 'unknown error'}` : '';
      return `• **${f.title}** ${f.url}${health}`;
    });
    return replyPrivately(interaction, fitMessage(`This server follows ${feeds.length} feed${feeds.length === 1 ? '' : 's'}:\n${lines.join('\n')}`));
  },

  async autocomplete(interaction, services) {
    const typed = interaction.options.getFocused().toLowerCase();
    const feeds = await services.feeds.list(interaction.guildId!);
    const choices = feeds
      .filter((f) => f.url.toLowerCase().includes(typed) || f.title.toLowerCase().includes(typed))
      .slice(0, 25)
      .map((f) => ({ name: `${f.title} — ${f.url}`.slice(0, 100), value: f.url.slice(0, 100) }));
    await interaction.respond(choices);
  },
};
