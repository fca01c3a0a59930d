import type { APIEmbed } from 'discord.js';
import type { RatingSummary } from '../ratings/rating.js';
import { ratingField } from '../ratings/rating-field.js';
import { cutEscaped, escapeMarkdownText, plainText } from '../text/discord-markdown.js';

/** Discord's embed limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits). */
export const EMBED_LIMITS = { title: 256, description: 4096, authorName: 256, footer: 2048, fieldName: 256, fieldValue: 1024, total: 6000 };

const HERALD_COLOUR = 0x2b6cb0;

export interface AlertContent {
  headline: string;
  link: string | null;
  /** Plain-text summary, already cut to length. */
  summary: string;
  /** Ranges of `summary` to show in bold (the matched words). */
  highlights: Array<{ start: number; end: number }>;
  /** Ranges of `headline` to show in bold. */
  headlineHighlights?: Array<{ start: number; end: number }>;
  image: string | null;
  published: string | null;
  feedTitle: string;
  feedSiteUrl: string | null;
  terms: string[];
}

function escapeText(raw: string): string {
  // Escaping at most doubles the length, so a bounded input keeps escaping cheap whatever a feed sends.
  const text = raw.length > 2 * EMBED_LIMITS.description ? raw.slice(0, 2 * EMBED_LIMITS.description) : raw;
  // Descriptions and field values render masked links; the one escaping path keeps feed text from forming any markdown.
  return escapeMarkdownText(text);
}

/** Escaped summary with the highlighted ranges in bold. */
export function boldRanges(text: string, ranges: Array<{ start: number; end: number }>): string {
  let out = '';
  let at = 0;
  for (const { start, end } of [...ranges].sort((a, b) => a.start - b.start)) {
    if (start < at || end <= start || end > text.length) continue;
    out += escapeText(text.slice(at, start));
    const word = text.slice(start, end).trim();
    const lead = text.slice(start, end).match(/^\s*/)?.[0] ?? '';
    const tail = text.slice(start, end).match(/\s*$/)?.[0] ?? '';
    out += word ? `${lead}**${escapeText(word)}**${tail}` : text.slice(start, end);
    at = end;
  }
  return out + escapeText(text.slice(at));
}

function httpUrl(url: string | null): string | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}

function validTimestamp(iso: string | null): string | undefined {
  if (!iso) return undefined;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** The alert embed: pure, within Discord's limits, every feed string escaped. */
export function buildAlertEmbed(content: AlertContent, rating: RatingSummary): APIEmbed {
  // Author and footer are drawn as plain text (no markdown): invisible characters go, nothing is escaped.
  const feedName = plainText(content.feedTitle, EMBED_LIMITS.authorName) || 'News feed';
  const embed: APIEmbed = {
    color: HERALD_COLOUR,
    author: { name: feedName, url: httpUrl(content.feedSiteUrl) },
    title: cutEscaped(content.headline ? boldRanges(content.headline, content.headlineHighlights ?? []) : '(untitled)', EMBED_LIMITS.title),
    url: httpUrl(content.link),
    description: content.summary ? cutEscaped(boldRanges(content.summary, content.highlights), 1024) : undefined,
    thumbnail: httpUrl(content.image) ? { url: httpUrl(content.image)! } : undefined,
    timestamp: validTimestamp(content.published),
    fields: [],
    footer: { text: plainText(`${feedName} · rate with 1️⃣–5️⃣`, EMBED_LIMITS.footer) },
  };
  if (content.terms.length > 0) {
    const terms = content.terms.map((t) => `**${escapeText(t)}**`).join(', ');
    embed.fields!.push({ name: 'Matched', value: cutEscaped(terms, EMBED_LIMITS.fieldValue), inline: true });
  }
  embed.fields!.push(ratingField(rating));
  if (!embed.author!.url) delete embed.author!.url;
  for (const key of Object.keys(embed) as Array<keyof APIEmbed>) if (embed[key] === undefined) delete embed[key];
  return embed;
}
