import { Events } from 'discord.js';
import { gatewayEvent } from './event.js';
import { recordVote } from './reaction-vote.js';

export const messageReactionAdd = gatewayEvent({
  name: Events.MessageReactionAdd,
  execute: (context, reaction, user) => recordVote(context, 'add', reaction, user),
});
