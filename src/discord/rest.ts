import type { REST } from 'discord.js';

/**
 * The slice of discord.js's REST client that alerts, notices and ratings use. Declared here, in src/discord, and
 * imported as a type only by the layers below, so they never depend on the gateway client.
 */
export type DiscordRest = Pick<REST, 'post' | 'patch' | 'put' | 'delete'>;
