import { SlashCommandBuilder } from 'discord.js';
import { matchableItem } from '../src/alerts/matchable-item.js';
import type { Command } from '../src/discord/command.js';
import { UserFacingError } from '../src/errors.js';
import { deferPrivately, fitMessage, replyPrivately } from '../src/discord/reply.js';
import { evaluateQuery } from '../src/match/evaluate.js';
import { parseQuery, QUERY_LIMITS, queryErrorText } from '../src/match/query.js';
import { regexKeysOf } from '../src/match/subscription-service.js';
import { codeSpan, inlineMarkdown } from '../src/text/discord-markdown.js';

const PREVIEW_MAX_RESULTS = 5;
/** The newest items a preview tries the query on. */
const PREVIEW_MAX_ITEMS = 500;
/** Items evaluated between two yields to the event loop: a long preview never holds up the bot. */
const PREVIEW_ITEMS_PER_TURN = 25;

/** Where a query went wrong, shown under it: `North "Korea` → a caret under the position. */
function pointAt(text: string, position: number): string {
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
    // acknowledge first: Discord allows 3 s for the first answer, whatever the work costs
    await deferPrivately(interaction);
    const text = interaction.options.getString('query', true);
    const parsed = parseQuery(text);
    if (!parsed.ok) {
      throw new UserFacingError(`That query doesn't parse: ${queryErrorText(parsed.error)}\n${pointAt(text, parsed.error.position)}`);
    }
    const regexes = regexKeysOf(parsed.query).size;
    const maxRegex = services.subscriptions.maxRegexPerGuild;
    if (regexes > maxRegex) {
      throw new UserFacingError(`That query has ${regexes} regular expressions; a server can use at most ${maxRegex}, so it could never be subscribed. Use fewer /regexes/, or phrases.`);
    }
    // only this server's feeds: another server's (possibly private) feeds are never searched or named
    const feedUrls = services.feeds.followedBy(interaction.guildId!);
    if (feedUrls.length === 0) return replyPrivately(interaction, `${codeSpan(parsed.canonical)} is a valid query, but this server follows no feeds yet to try it on. Add one with /feed add.`);
    const recent = (await services.feeds.recentItems(feedUrls)).slice(0, PREVIEW_MAX_ITEMS);
    const hits: string[] = [];
    for (const [i, { feed, item }] of recent.entries()) {
      if (i > 0 && i % PREVIEW_ITEMS_PER_TURN === 0) await new Promise<void>((resolve) => setImmediate(resolve));
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
