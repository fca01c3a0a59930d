// What a worker's channel-paused notice needs to know: where to post it, and what Herald lacks in the paused channel.
// A worker has no gateway cache, so it reads the server from REST (the server with its roles, its channels, Herald's
// member) and applies the rules the cached functions apply (noticeChannelFor, missingForAlerts): the system channel
// when Herald can post there, else the first text channel, in the server's order, where it can.
import { ChannelType, PermissionFlagsBits, Routes, type REST } from 'discord.js';
import { computeChannelPermissions, type RestOverwrite, type RestRole } from './permissions.js';

export interface RestGuild {
  id: string;
  owner_id?: string | null;
  system_channel_id?: string | null;
  roles?: RestRole[];
}

export interface RestGuildChannel {
  id: string;
  type: number;
  position?: number;
  permission_overwrites?: RestOverwrite[];
}

const NEEDED = PermissionFlagsBits.ViewChannel | PermissionFlagsBits.SendMessages;
/** What alerts need, as Discord's settings name it. */
const ALERT_NEEDS: Array<[bigint, string]> = [
  [PermissionFlagsBits.ViewChannel, 'View Channel'],
  [PermissionFlagsBits.SendMessages, 'Send Messages'],
  [PermissionFlagsBits.EmbedLinks, 'Embed Links'],
];

export interface ServerFacts {
  guild: RestGuild;
  channels: readonly RestGuildChannel[];
  botUserId: string;
  botRoleIds: readonly string[];
}

function heraldPermissions(facts: ServerFacts, channel: RestGuildChannel): bigint {
  const { guild } = facts;
  return computeChannelPermissions({ guildId: guild.id, ownerId: guild.owner_id ?? null, userId: facts.botUserId, memberRoleIds: facts.botRoleIds, roles: guild.roles ?? [], overwrites: channel.permission_overwrites ?? [] });
}

/** The notice channel; never `except` (the channel the notice is about). Null when there is none. */
export function pickNoticeChannel(facts: ServerFacts, except: string): string | null {
  const canPost = (channel: RestGuildChannel) => channel.id !== except && channel.type === ChannelType.GuildText && (heraldPermissions(facts, channel) & NEEDED) === NEEDED;
  const system = facts.channels.find((c) => c.id === facts.guild.system_channel_id);
  if (system && canPost(system)) return system.id;
  const texts = facts.channels.filter(canPost);
  texts.sort((a, b) => (a.position ?? 0) - (b.position ?? 0) || a.id.localeCompare(b.id));
  return texts[0]?.id ?? null;
}

/** What Herald lacks in a channel to post alerts; [] when nothing is, or the channel is not among the server's. */
export function missingForAlertsIn(facts: ServerFacts, channelId: string): string[] {
  const channel = facts.channels.find((c) => c.id === channelId);
  if (!channel) return [];
  const perms = heraldPermissions(facts, channel);
  return ALERT_NEEDS.filter(([flag]) => (perms & flag) !== flag).map(([, name]) => name);
}

/** Reads a server as Herald sees it (3 REST calls); throws what Discord answered when it cannot. */
export async function readServerFacts(rest: Pick<REST, 'get'>, guildId: string, botUserId: string): Promise<ServerFacts> {
  const [guild, channels, member] = await Promise.all([
    rest.get(Routes.guild(guildId)) as Promise<RestGuild>,
    rest.get(Routes.guildChannels(guildId)) as Promise<RestGuildChannel[]>,
    rest.get(Routes.guildMember(guildId, botUserId)) as Promise<{ roles?: string[] }>,
  ]);
  return { guild, channels: Array.isArray(channels) ? channels : [], botUserId, botRoleIds: member.roles ?? [] };
}
