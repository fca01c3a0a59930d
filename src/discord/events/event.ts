import type { ClientEvents } from 'discord.js';
import type { Services } from '../../services.js';
import type { Command } from '../command.js';

/** What a gateway event handler may use. */
export interface EventContext {
  services: Services;
  commands: Map<string, Command>;
}

/** One gateway event, one file (the discord.js guide's shape): its name and what Herald does on it. */
export interface GatewayEvent<K extends keyof ClientEvents = keyof ClientEvents> {
  name: K;
  /** Never rejects: a handler reports its own failures (an unhandled rejection would reach the process). */
  execute(context: EventContext, ...args: ClientEvents[K]): void;
}

/** Keeps the event name and the handler's argument types together. */
export const gatewayEvent = <K extends keyof ClientEvents>(event: GatewayEvent<K>): GatewayEvent<K> => event;
