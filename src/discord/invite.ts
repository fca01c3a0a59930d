import { OAuth2Scopes, PermissionFlagsBits } from 'discord.js';

/**
 * What Herald needs in a channel: View Channel, Send Messages, Embed Links (to post alerts), Add Reactions and Read
 * Message History (the 1️⃣–5️⃣ ratings). 85056, the number in the README's invite link.
 */
export const INVITE_PERMISSIONS: bigint =
  PermissionFlagsBits.ViewChannel | PermissionFlagsBits.SendMessages | PermissionFlagsBits.EmbedLinks | PermissionFlagsBits.AddReactions | PermissionFlagsBits.ReadMessageHistory;

/** The link that adds Herald to a server with its bot user, its slash commands and exactly those permissions. */
export function inviteLink(applicationId: string): string {
  const scope = [OAuth2Scopes.Bot, OAuth2Scopes.ApplicationsCommands].join('%20');
  return `https://discord.com/oauth2/authorize?client_id=${encodeURIComponent(applicationId)}&scope=${scope}&permissions=${INVITE_PERMISSIONS}`;
}
