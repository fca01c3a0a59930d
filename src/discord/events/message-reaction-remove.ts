import { Events } from 'discord.js';
import { gatewayEvent } from './event.js';
import { recordVote } from './reaction-vote.js';

export const messageReactionRemove = gatewayEvent({
  name: Events.MessageReactionRemove,
  execute: (context, reaction, user) => recordVote(context, 'remove', reaction, user),
});
