// The "Also reported by" field of an alert: the other outlets that carried the same story in the same channel. The
// list lives on the alert record; this is the one place that turns it into the embed field. Pure.
import type { APIEmbed, APIEmbedField } from 'discord.js';
import { escapeMarkdownText, plainText } from '../text/discord-markdown.js';
import { EMBED_LIMITS } from './embed.js';

export const ALSO_REPORTED_BY = 'Also reported by';
/** Outlets named in the field; the rest are counted ("and 3 more"). */
export const SHOWN_OUTLETS = 5;
/** Outlets an alert remembers (beyond this the count stops growing: a story carried by 50 feeds is told enough). */
export const MAX_REPORTERS = 50;
const MAX_OUTLET_NAME = 80;

/** Another outlet's telling of the story. */
export interface Reporter {
  /** The feed's title as Herald shows it. */
  outlet: string;
  feedUrl: string;
  /** Its article. */
  link: string | null;
}

/** `known` plus those of `more` from feeds not in it yet, in arrival order, at most MAX_REPORTERS. */
export function mergeReporters(known: readonly Reporter[], more: readonly Reporter[]): Reporter[] {
  const out = [...known];
  const feeds = new Set(out.map((r) => r.feedUrl));
  for (const reporter of more) {
    if (out.length >= MAX_REPORTERS) break;
    if (feeds.has(reporter.feedUrl)) continue;
    feeds.add(reporter.feedUrl);
    out.push(reporter);
  }
  return out;
}

/** An http(s) URL safe inside a markdown link target, or null. */
function linkTarget(url: string | null): string | null {
  if (!url) return null;
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return null;
    // a `)` or space would end the link target early; the href is already percent-encoded apart from these
    return parsed.href.replace(/\(/g, '%28').replace(/\)/g, '%29').replace(/ /g, '%20');
  } catch {
    return null;
  }
}

function outletName(reporter: Reporter): string {
  const name = plainText(reporter.outlet, MAX_OUTLET_NAME);
  if (name) return name;
  try {
    return new URL(reporter.feedUrl).hostname;
  } catch {
    return 'another feed';
  }
}

/** The field: the first outlets, each linked to its article, then "and N more"; within Discord's field limit. */
export function alsoReportedByField(reporters: readonly Reporter[]): APIEmbedField | null {
  if (reporters.length === 0) return null;
  const parts: string[] = [];
  let length = 0;
  for (const reporter of reporters.slice(0, SHOWN_OUTLETS)) {
    const name = escapeMarkdownText(outletName(reporter));
    const target = linkTarget(reporter.link);
    const part = target ? `[${name}](${target})` : name;
    // room for the separator and " and NN more"
    if (length + part.length + 2 > EMBED_LIMITS.fieldValue - 16) break;
    parts.push(part);
    length += part.length + 2;
  }
  if (parts.length === 0) parts.push(escapeMarkdownText(outletName(reporters[0]!)).slice(0, 200));
  const more = reporters.length - parts.length;
  const value = parts.join(', ') + (more > 0 ? ` and ${more} more` : '');
  return { name: ALSO_REPORTED_BY, value };
}

/** The embed with its "Also reported by" field set from `reporters` (added, replaced, or removed when empty). */
export function withAlsoReportedBy(embed: APIEmbed, reporters: readonly Reporter[]): APIEmbed {
  const fields = (embed.fields ?? []).filter((f) => f.name !== ALSO_REPORTED_BY);
  const field = alsoReportedByField(reporters);
  return { ...embed, fields: field ? [...fields, field] : fields };
}
