import type { AutocompleteInteraction, ChatInputCommandInteraction } from 'discord.js';
import { UserFacingError } from '../../src/errors.js';
import { discordTime } from '../../src/discord/feed-health.js';
import type { FeedRecord } from '../../src/feeds/records.js';
import { formatDuration } from '../../src/feeds/poll/scheduler.js';
import type { Services } from '../../src/services.js';
import { inlineMarkdown, plainText } from '../../src/text/discord-markdown.js';

/** One /feed subcommand: its name and what it does (the builder options live in index.ts, beside the others). */
export type FeedSubcommand = (interaction: ChatInputCommandInteraction, services: Services) => Promise<void>;

export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
export const title = (feed: Pick<FeedRecord, 'title'>) => inlineMarkdown(feed.title, 200) || 'untitled';

/** The followed feed a member means by `raw`, or a refusal naming /feeds list. */
export function followedUrl(interaction: ChatInputCommandInteraction, services: Services, raw: string): string {
  const url = services.feeds.resolveFollowed(interaction.guildId!, raw);
  if (!url) throw new UserFacingError(`This server doesn't follow "${raw.slice(0, 200)}". /feeds list shows the feeds it follows.`);
  return url;
}

/** When a feed will next be polled, in words. */
export function nextPoll(feed: FeedRecord | undefined, services: Services): string {
  if (feed?.disabledReason) return 'never while disabled';
  const at = feed?.nextPollAt ? Date.parse(feed.nextPollAt) : NaN;
  if (!Number.isNaN(at) && at > services.clock().getTime()) return discordTime(feed!.nextPollAt);
  return `in the next poll cycle (every ${formatDuration(services.poller.intervalMs)})`;
}

/** Autocomplete for a `url` option: this server's feeds whose address or title holds what was typed. */
export async function followedFeedChoices(interaction: AutocompleteInteraction, services: Services): Promise<void> {
  const typed = interaction.options.getFocused().toLowerCase();
  const feeds = await services.feeds.list(interaction.guildId!);
  const choices = feeds
    .filter((f) => f.url.toLowerCase().includes(typed) || f.title.toLowerCase().includes(typed))
    .slice(0, 25)
    .map((f) => ({ name: plainText(`${f.title} — ${f.url}`, 100), value: f.url.slice(0, 100) }));
  await interaction.respond(choices);
}
