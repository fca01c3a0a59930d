import type { Client, ClientEvents } from 'discord.js';
import { channelDelete } from './channel-delete.js';
import { clientError } from './client-error.js';
import type { EventContext, GatewayEvent } from './event.js';
import { interactionCreate } from './interaction-create.js';
import { messageReactionAdd } from './message-reaction-add.js';
import { messageReactionRemove } from './message-reaction-remove.js';

/** Every gateway event Herald handles, one file each. */
export const events = [interactionCreate, messageReactionAdd, messageReactionRemove, channelDelete, clientError] as GatewayEvent[];

/** Subscribes the client to every event in `events`. */
export function registerEvents(client: Client, context: EventContext): void {
  for (const event of events) client.on(event.name, (...args: ClientEvents[keyof ClientEvents]) => event.execute(context, ...args));
}
