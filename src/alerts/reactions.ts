import { Routes } from 'discord.js';
import type { DiscordRest } from '../discord/rest.js';
import { RATING_EMOJIS } from '../ratings/rating.js';

/**
 * Adds the 1️⃣–5️⃣ reactions to a posted alert so members rate with one click. Stops at the first refusal (they
 * would all fail alike) and rejects with it; the alert itself is posted either way.
 */
export async function addRatingReactions(rest: DiscordRest, channelId: string, messageId: string): Promise<void> {
  for (const emoji of RATING_EMOJIS) {
    await rest.put(Routes.channelMessageOwnReaction(channelId, messageId, encodeURIComponent(emoji)));
  }
}
