import type { AutocompleteInteraction, ChatInputCommandInteraction, Interaction } from 'discord.js';
import { FeedProblem } from '../feeds/follow/feed-service.js';
import { SubscriptionProblem } from '../match/subscription-service.js';
import { StoreUnavailableError } from '../store/errors.js';
import type { Services } from '../services.js';
import { UserFacingError, type Command } from './command.js';
import { replyPrivately } from './reply.js';

const INTERNAL_ERROR = "Something went wrong on Herald's side and nothing was changed. Try again in a minute; if it keeps happening, tell the bot's operator.";

/** Routes an interaction to its command; every failure ends in a reply the user can act on. */
export async function handleInteraction(interaction: Interaction, commands: Map<string, Command>, services: Services): Promise<void> {
  if (interaction.isAutocomplete()) return handleAutocomplete(interaction, commands, services);
  if (!interaction.isChatInputCommand()) return;
  const command = commands.get(interaction.commandName);
  const where = { guild: interaction.guildId, channel: interaction.channelId, user: interaction.user.id, command: interaction.commandName };
  try {
    if (!command) throw new UserFacingError('That command is no longer part of Herald. Type / to see the current ones.');
    if (!interaction.inGuild()) throw new UserFacingError('Herald works inside servers: run this command in a server channel.');
    if (command.requiredPermission !== undefined && !interaction.memberPermissions?.has(command.requiredPermission)) {
      throw new UserFacingError(`You need the **${command.requiredPermissionName ?? 'required'}** permission to use /${interaction.commandName}. Ask a server admin.`);
    }
    await command.execute(interaction, services);
    services.log.info({ event: 'command', ...where, subcommand: interaction.options.getSubcommand(false) }, 'command handled');
  } catch (error) {
    const userMessage = userMessageFor(error);
    if (error instanceof StoreUnavailableError) services.log.error({ event: 'command.store_unavailable', ...where, error: error.message }, 'command failed: the store is unavailable');
    else if (userMessage) services.log.info({ event: 'command.refused', ...where, reason: userMessage }, 'command refused');
    else services.log.error({ event: 'command.failed', ...where, error: error instanceof Error ? error.stack : String(error) }, 'command failed');
    await replyPrivately(interaction as ChatInputCommandInteraction, userMessage ?? INTERNAL_ERROR).catch((replyError: unknown) => {
      services.log.warn({ event: 'command.reply_failed', ...where, error: String(replyError) }, 'could not send the error reply');
    });
  }
}

function userMessageFor(error: unknown): string | null {
  if (error instanceof UserFacingError || error instanceof FeedProblem || error instanceof SubscriptionProblem) return error.message;
  if (error instanceof StoreUnavailableError) return error.userMessage;
  return null;
}

async function handleAutocomplete(interaction: AutocompleteInteraction, commands: Map<string, Command>, services: Services): Promise<void> {
  const command = commands.get(interaction.commandName);
  try {
    if (command?.autocomplete && interaction.inGuild()) await command.autocomplete(interaction, services);
    else await interaction.respond([]);
  } catch (error) {
    services.log.warn({ event: 'autocomplete.failed', guild: interaction.guildId, command: interaction.commandName, error: String(error) }, 'autocomplete failed');
    if (!interaction.responded) await interaction.respond([]).catch(() => undefined);
  }
}
