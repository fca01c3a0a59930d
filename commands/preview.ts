import { SlashCommandBuilder } from 'discord.js';
import { matchableItem } from '../src/alerts/alert-service.js';
import type { Command } from '../src/discord/command.js';
import { UserFacingError } from '../src/discord/command.js';
import { deferPrivately, fitMessage, replyPrivately } from '../src/discord/reply.js';
import { recentItemsOf } from '../src/feeds/recent.js';
import { evaluateQuery } from '../src/match/evaluate.js';
import { parseQuery, QUERY_LIMITS } from '../src/match/query.js';
import { codeSpan, inlineMarkdown } from '../src/text/discord-markdown.js';

export const PREVIEW_MAX_RESULTS = 5;

/** Where a query went wrong, shown under it: `North "Korea` → a caret under the position. */
export function pointAt(text: string, position: number): string {
  const shown = text.length > 120 ? text.slice(Math.max(0, position - 60), position + 60) : text;
  const offset = text.length > 120 ? position - Math.max(0, position - 60) : position;
  return `\`\`\`\n${shown.replace(/`/g, "'")}\n${' '.repeat(Math.max(0, offset))}^\n\`\`\``;
}

export const command: Command = {
  data: new SlashCommandBuilder()
    .setName('preview')
    .setDescription("Try a query on the latest stories from this server's feeds before subscribing")
    .setDMPermission(false)
    .addStringOption((o) => o.setName('query').setDescription('e.g. Ukraine +drone -football').setRequired(true).setMaxLength(QUERY_LIMITS.maxLength)),

  async execute(interaction, services) {
    const text = interaction.options.getString('query', true);
    const parsed = parseQuery(text);
    if (!parsed.ok) {
      throw new UserFacingError(`That query doesn't parse: ${parsed.error.message}. ${parsed.error.hint}\n${pointAt(text, parsed.error.position)}`);
    }
    await deferPrivately(interaction);
    const feedUrls = services.feeds.followedBy(interaction.guildId!);
    if (feedUrls.length === 0) return replyPrivately(interaction, `${codeSpan(parsed.canonical)} is a valid query, but this server follows no feeds yet to try it on. Add one with /feed add.`);
    const recent = await recentItemsOf(services.store, feedUrls);
    const hits: string[] = [];
    for (const { feed, item } of recent) {
      const outcome = evaluateQuery(parsed.query, matchableItem(item, feed));
      if (!outcome.matched) continue;
      // The story's own link under its (escaped) title; everything else from the feed is inert text.
      const title = inlineMarkdown(item.title, 150) || '(untitled)';
      hits.push(`• ${item.link ? `[${title}](<${item.link}>)` : title} — ${inlineMarkdown(feed.title, 100)} · matched ${inlineMarkdown(outcome.terms.join(', '), 200)}`);
      if (hits.length === PREVIEW_MAX_RESULTS) break;
    }
    const head = `Query ${codeSpan(parsed.canonical)}`;
    if (hits.length === 0) {
      return replyPrivately(interaction, `${head} matches nothing in the last ${recent.length} items from this server's ${feedUrls.length} feed${feedUrls.length === 1 ? '' : 's'}. Try fewer words, a prefix like \`Korea*\`, or another phrase.`);
    }
    await replyPrivately(interaction, fitMessage(`${head} would have matched ${hits.length === PREVIEW_MAX_RESULTS ? `at least ${hits.length}` : hits.length} of the last ${recent.length} items:\n${hits.join('\n')}\nSubscribe with ${codeSpan(`/subscribe query:${text.trim()}`, 400)}`));
  },
};
