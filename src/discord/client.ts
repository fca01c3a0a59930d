import { Client, GatewayIntentBits, Partials } from 'discord.js';

/**
 * Guilds (channels, commands) and GuildMessageReactions (votes) only: no privileged intents. The partials let
 * reactions on messages from before a restart, which the cache never saw, still arrive.
 */
export function createDiscordClient(apiUrl: string): Client {
  return new Client({
    intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessageReactions],
    partials: [Partials.Message, Partials.Reaction, Partials.User, Partials.Channel],
    rest: { api: apiUrl },
    allowedMentions: { parse: [] },
  });
}
