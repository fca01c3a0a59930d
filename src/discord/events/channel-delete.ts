import { Events } from 'discord.js';
import { gatewayEvent } from './event.js';

/** A deleted channel's subscriptions go with it (nothing could be posted there any more). */
export const channelDelete = gatewayEvent({
  name: Events.ChannelDelete,
  execute: ({ services }, channel) => void services.subscriptions.removeChannel(channel.id).catch(() => undefined),
});
