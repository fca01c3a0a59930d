import { Events } from 'discord.js';
import { handleInteraction } from '../interactions.js';
import { gatewayEvent } from './event.js';

/** Slash commands and autocomplete: routed to their command; every failure ends in a reply (interactions.ts). */
export const interactionCreate = gatewayEvent({
  name: Events.InteractionCreate,
  execute: ({ commands, services }, interaction) => void handleInteraction(interaction, commands, services),
});
