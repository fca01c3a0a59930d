import { Events } from 'discord.js';
import { gatewayEvent } from './event.js';

export const clientError = gatewayEvent({
  name: Events.Error,
  execute: ({ services }, error) => services.log.error({ event: 'discord.error', error: error.message }, 'discord client error'),
});
