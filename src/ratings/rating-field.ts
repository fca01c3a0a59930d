import type { APIEmbed, APIEmbedField } from 'discord.js';
import { formatRating, type RatingSummary } from './rating.js';

/** The name of the embed field that shows an alert's rating; ratings owns it, the alert embed only places it. */
export const RATING_FIELD_NAME = 'Rating';

/** The Rating field for an embed. */
export function ratingField(rating: RatingSummary): APIEmbedField {
  return { name: RATING_FIELD_NAME, value: formatRating(rating), inline: true };
}

/** The same embed with its Rating field replaced. */
export function withRating(embed: APIEmbed, rating: RatingSummary): APIEmbed {
  const fields = (embed.fields ?? []).map((f) => (f.name === RATING_FIELD_NAME ? { ...f, value: formatRating(rating) } : f));
  return { ...embed, fields };
}
