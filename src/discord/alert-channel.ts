import { ChannelType, PermissionFlagsBits, PermissionsBitField, type Guild, type GuildBasedChannel, type GuildMember, type PermissionsString } from 'discord.js';
import { inlineMarkdown } from '../text/discord-markdown.js';
import { UserFacingError } from '../errors.js';

/** Herald cannot post an alert without these. */
const REQUIRED_FOR_ALERTS = [PermissionFlagsBits.ViewChannel, PermissionFlagsBits.SendMessages, PermissionFlagsBits.EmbedLinks];
/** Alerts post without these, but the 1️⃣–5️⃣ rating reactions need them. */
const WANTED_FOR_RATINGS = [PermissionFlagsBits.AddReactions, PermissionFlagsBits.ReadMessageHistory];

/** What /status checks in every subscribed channel: posting, and the rating reactions. */
const CHECKED_FOR_STATUS = [PermissionFlagsBits.ViewChannel, PermissionFlagsBits.SendMessages, PermissionFlagsBits.EmbedLinks, PermissionFlagsBits.AddReactions];
/** A plain notice needs no more. */
const REQUIRED_FOR_NOTICES = [PermissionFlagsBits.ViewChannel, PermissionFlagsBits.SendMessages];

const ALERT_CHANNEL_TYPES = new Set<ChannelType>([ChannelType.GuildText, ChannelType.GuildAnnouncement]);

const TYPE_NAMES: Partial<Record<ChannelType, string>> = {
  [ChannelType.GuildVoice]: 'a voice channel',
  [ChannelType.GuildStageVoice]: 'a stage channel',
  [ChannelType.GuildCategory]: 'a category',
  [ChannelType.GuildForum]: 'a forum',
  [ChannelType.GuildMedia]: 'a media channel',
  [ChannelType.PublicThread]: 'a thread',
  [ChannelType.PrivateThread]: 'a thread',
  [ChannelType.AnnouncementThread]: 'a thread',
  [ChannelType.GuildDirectory]: 'a directory',
};

/** "ViewChannel" → "View Channel", as Discord's settings name it. */
function permissionName(flag: PermissionsString): string {
  return flag.replace(/([a-z])([A-Z])/g, '$1 $2').replace('Tts', 'TTS');
}

function listed(names: string[]): string {
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

export interface AlertChannel {
  id: string;
  /** Set when Herald can post but not add the rating reactions: a note for the reply. */
  warning: string | null;
}

/**
 * Checks that alerts can go to a channel: one of this guild's text or announcement channels, one the member can view,
 * where Herald can view, send and embed links. Permissions come from discord.js's cache (roles and overwrites from
 * GUILD_CREATE), so nothing is fetched. Throws a UserFacingError naming exactly what is missing.
 */
export async function checkAlertChannel(guild: Guild | null, channelId: string, member: GuildMember | null): Promise<AlertChannel> {
  if (!guild) {
    throw new UserFacingError("Herald can't see this server's channels: it was added without its bot user. Re-invite Herald with the bot scope, then try again.");
  }
  // A channel option resolved from another guild can land in this guild's cache too (discord.js adds resolved
  // channels to the interaction's guild), so the channel's own guild id is what counts.
  const channel = guild.channels.cache.get(channelId);
  if (!channel || channel.guildId !== guild.id) throw new UserFacingError("That channel isn't one of this server's channels. Pick a text channel of this server.");
  const name = `#${inlineMarkdown(channel.name, 100)}`;
  if (!ALERT_CHANNEL_TYPES.has(channel.type)) {
    throw new UserFacingError(`${name} is ${TYPE_NAMES[channel.type] ?? 'not a text channel'}; alerts go to a text or announcement channel. Pick one of those.`);
  }
  if (!member || !channel.permissionsFor(member).has(PermissionFlagsBits.ViewChannel)) {
    throw new UserFacingError(`You can't view ${name}, so you can't send alerts there. Pick a channel you can see.`);
  }
  const me = guild.members.me ?? (await guild.members.fetchMe().catch(() => null));
  const herald = me ? channel.permissionsFor(me) : new PermissionsBitField();
  const missing = herald.missing(REQUIRED_FOR_ALERTS).map(permissionName);
  if (missing.length) {
    const grant = missing.length === 1 ? missing[0] : 'those permissions';
    throw new UserFacingError(`Herald can't post in ${name}: it lacks ${listed(missing)} there. Give Herald's role ${grant} in that channel, then try again.`);
  }
  const lacking = herald.missing(WANTED_FOR_RATINGS).map(permissionName);
  const warning = lacking.length
    ? `Note: Herald lacks ${listed(lacking)} in ${name}, so alerts there won't get the 1️⃣–5️⃣ rating reactions. Give Herald's role ${lacking.length === 1 ? lacking[0] : 'those permissions'} there to enable ratings.`
    : null;
  return { id: channel.id, warning };
}

/** Herald's permissions in a cached channel (none when its own member isn't cached). */
function heraldPermissions(guild: Guild, channel: GuildBasedChannel): PermissionsBitField {
  const me = guild.members.me;
  return me ? channel.permissionsFor(me) : new PermissionsBitField();
}

export interface ChannelPermissionGaps {
  /** Herald can't post alerts there without these (View Channel, Send Messages, Embed Links) */
  blocking: string[];
  /** alerts post, but the rating reactions don't (Add Reactions) */
  reactions: string[];
}

/**
 * What Herald lacks in one of the guild's channels among what alerts need, from discord.js's cache (roles and
 * overwrites kept current by the gateway), so nothing is fetched; null when the channel isn't in the cache.
 */
export function permissionGaps(guild: Guild | undefined, channelId: string): ChannelPermissionGaps | null {
  const channel = guild?.channels.cache.get(channelId);
  if (!guild || !channel || channel.guildId !== guild.id) return null;
  const missing = heraldPermissions(guild, channel).missing(CHECKED_FOR_STATUS).map(permissionName);
  return { blocking: missing.filter((name) => name !== 'Add Reactions'), reactions: missing.filter((name) => name === 'Add Reactions') };
}

/** What Herald lacks to post alerts in a channel, as Discord's settings name it; [] when all is there or unknown. */
export function missingForAlerts(guild: Guild | undefined, channelId: string): string[] {
  return permissionGaps(guild, channelId)?.blocking ?? [];
}

/**
 * Where a server's notices go: its system channel when Herald can post there, else the first text channel (in the
 * server's order) where it can; never `except` (the channel the notice is about). Null when there is none.
 */
export function noticeChannelFor(guild: Guild | undefined, except: string): string | null {
  if (!guild) return null;
  const canPost = (channel: GuildBasedChannel | null | undefined): channel is GuildBasedChannel =>
    !!channel && channel.id !== except && channel.type === ChannelType.GuildText && heraldPermissions(guild, channel).has(REQUIRED_FOR_NOTICES);
  if (canPost(guild.systemChannel)) return guild.systemChannel.id;
  const texts = [...guild.channels.cache.values()].filter(canPost);
  texts.sort((a, b) => ('rawPosition' in a ? a.rawPosition : 0) - ('rawPosition' in b ? b.rawPosition : 0) || a.id.localeCompare(b.id));
  return texts[0]?.id ?? null;
}
