import { SlashCommandBuilder } from 'discord.js';
import { matchableItem } from '../src/alerts/matchable-item.js';
import { pauseReason } from '../src/discord/channel-pauses.js';
import type { Command } from '../src/discord/command.js';
import { UserFacingError } from '../src/errors.js';
import { deferPrivately, fitMessage, replyPrivately } from '../src/discord/reply.js';
import { canonicalLink } from '../src/feeds/url/canonical-link.js';
import { evaluatePrepared, PreparedItem } from '../src/match/evaluate.js';
import type { Query } from '../src/match/query.js';
import { codeSpan, inlineMarkdown } from '../src/text/discord-markdown.js';

const looseLink = (url: string) => url.replace(/^https?:\/\/(www\.)?/, '').replace(/\/+$/, '').toLowerCase();

export const command: Command = {
  data: new SlashCommandBuilder()
    .setName('why')
    .setDescription('Why was (or wasn’t) a story posted in this channel?')
    .setDMPermission(false)
    .addStringOption((o) => o.setName('url').setDescription('The article link').setRequired(true).setMaxLength(2000)),

  async execute(interaction, services) {
    const raw = interaction.options.getString('url', true);
    const link = canonicalLink(raw.trim().replace(/^<(.*)>$/, '$1'));
    if (!link) throw new UserFacingError(`"${raw.slice(0, 100)}" is not an article link. Paste the story's full https:// address.`);
    await deferPrivately(interaction);
    const guildId = interaction.guildId!;
    const channelId = interaction.channelId;

    // Only this server's feeds: other servers' feeds (some private, with tokens in their URLs) are never searched,
    // so nothing here can tell a member what another server follows.
    const followed = services.feeds.followedBy(guildId);
    const recent = await services.feeds.recentItems(followed);
    const inFollowed = recent.find((e) => e.item.link && looseLink(e.item.link) === looseLink(link));
    if (!inFollowed) {
      return replyPrivately(interaction, `Herald hasn't seen that story in the latest items of this server's ${followed.length} feed${followed.length === 1 ? '' : 's'}: no followed feed carries it (or it is older than the items kept). /feeds list shows the feeds.`);
    }

    const { feed, item } = inFollowed;
    const posted = await services.alerts.postedAlert(channelId, item);
    if (posted) {
      const { messageId, alert } = posted;
      const on = alert?.terms.length ? ` (matched ${inlineMarkdown(alert.terms.join(', '), 200)})` : '';
      return replyPrivately(interaction, `It was posted here${on}: https://discord.com/channels/${guildId}/${channelId}/${messageId}`);
    }

    const subs = services.subscriptions.listForChannel(channelId);
    const title = `**${inlineMarkdown(item.title, 150) || '(untitled)'}** (${inlineMarkdown(feed.title, 100)})`;
    if (subs.length === 0) return replyPrivately(interaction, `${title} was seen, but this channel has no subscriptions. Add one with /subscribe.`);
    // one prepared item for all: a regex several subscriptions share runs once
    const prepared = new PreparedItem(matchableItem(item, feed));
    // a paused channel's matches are held or skipped: that comes first, with what to do
    const pause = services.subscriptions.pauseOf(channelId);
    const lines = subs.map((sub) => {
      const outcome = evaluatePrepared(sub.query as Query, prepared);
      if (!outcome.matched) return `✗ ${codeSpan(sub.canonical)} — ${outcome.explanation}`;
      if (pause) return `✓ ${codeSpan(sub.canonical)} — ${outcome.explanation}, but this channel is paused`;
      const published = item.published ? Date.parse(item.published) : NaN;
      const before = !Number.isNaN(published) && published < Date.parse(sub.createdAt);
      const reason = before ? 'but the story came out before this subscription was made, and only new stories alert' : 'but it was already in the feed when Herald started following it, so it counted as old';
      return `✓ ${codeSpan(sub.canonical)} — ${outcome.explanation}, ${reason}`;
    });
    const paused = pause ? `\n⏸️ This channel's subscriptions are ${pauseReason(pause)}; nothing is posted here until /subscriptions resume.` : '';
    await replyPrivately(interaction, `${fitMessage(`${title} was not posted here:\n${lines.join('\n')}`, 2000 - paused.length)}${paused}`);
  },
};
