import type { MessageReaction, PartialMessageReaction, PartialUser, User } from 'discord.js';
import type { EventContext } from './event.js';

/** A 1️⃣–5️⃣ reaction added or removed is a vote (or its withdrawal); failures are logged, never thrown. */
export function recordVote(
  { services: { ratings, log } }: EventContext,
  kind: 'add' | 'remove',
  reaction: MessageReaction | PartialMessageReaction,
  user: User | PartialUser,
): void {
  void ratings
    .onReaction({ kind, messageId: reaction.message.id, channelId: reaction.message.channelId, userId: user.id, emoji: reaction.emoji.name })
    .catch((error: unknown) => log.error({ event: 'rating.failed', channel: reaction.message.channelId, message: reaction.message.id, error: String(error) }, 'vote not recorded'));
}
