import { MessageFlags, type ChatInputCommandInteraction, type InteractionReplyOptions } from 'discord.js';

export type ReplyContent = Pick<InteractionReplyOptions, 'content' | 'embeds' | 'files'>;

/** Replies privately, whether or not the interaction was deferred. Mentions in replies never ping. */
export async function replyPrivately(interaction: ChatInputCommandInteraction, reply: ReplyContent | string): Promise<void> {
  const body = typeof reply === 'string' ? { content: reply } : reply;
  const safe = { ...body, allowedMentions: { parse: [] } };
  if (interaction.deferred || interaction.replied) await interaction.editReply(safe);
  else await interaction.reply({ ...safe, flags: MessageFlags.Ephemeral });
}

/** Long work shows progress: acknowledge now (privately), answer with replyPrivately later. */
export async function deferPrivately(interaction: ChatInputCommandInteraction): Promise<void> {
  if (!interaction.deferred && !interaction.replied) await interaction.deferReply({ flags: MessageFlags.Ephemeral });
}

/** Cuts a reply to Discord's 2000-character message limit on a line boundary. */
export function fitMessage(text: string, max = 2000): string {
  if (text.length <= max) return text;
  const cut = text.lastIndexOf('\n', max - 40);
  return `${text.slice(0, cut > 0 ? cut : max - 40)}\n… (more not shown)`;
}

/**
 * A reply edited over time (progress, then a summary). Edits go out one after another, so a late progress edit can
 * never overwrite the summary; a failed edit is reported to `onFailed` and the next one still goes out.
 */
export function serialReply(interaction: ChatInputCommandInteraction, onFailed: (error: unknown) => void): (content: string) => Promise<void> {
  let edits = Promise.resolve();
  return (content) => (edits = edits.then(() => replyPrivately(interaction, content)).catch(onFailed));
}
