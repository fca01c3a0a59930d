import { Client, GatewayIntentBits, Partials } from 'discord.js';
import type { IdentifyThrottler } from '../store/redis-coordination.js';

/**
 * Guilds (channels, commands) and GuildMessageReactions (votes) only: no privileged intents. The partials let
 * reactions on messages from before a restart, which the cache never saw, still arrive.
 */
export function createDiscordClient(
  apiUrl: string,
  sharding: { shards: number[] | 'auto'; shardCount: number | undefined } | null = null,
  options: { identifyThrottler?: (maxConcurrency: number) => IdentifyThrottler } = {},
): Client {
  const { identifyThrottler } = options;
  return new Client({
    // SHARDS / SHARD_COUNT: this process runs some of the bot's shards (discord.js's own sharding)
    ...(sharding ? { shards: sharding.shards, ...(sharding.shardCount !== undefined ? { shardCount: sharding.shardCount } : {}) } : {}),
    intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessageReactions],
    partials: [Partials.Message, Partials.Reaction, Partials.User, Partials.Channel],
    // which Herald process sent a request (its pid), for an operator reading a proxy's logs with several processes
    rest: { api: apiUrl, userAgentAppendix: `Node.js ${process.version} Herald/${process.pid}` },
    allowedMentions: { parse: [] },
    // several gateway processes: their shards' IDENTIFYs paced together (Discord's limit is per bot, not per process)
    ...(identifyThrottler
      ? {
          ws: {
            buildIdentifyThrottler: async (manager) => identifyThrottler((await manager.fetchGatewayInformation()).session_start_limit.max_concurrency),
          },
        }
      : {}),
  });
}
