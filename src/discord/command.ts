import type {
  AutocompleteInteraction,
  ChatInputCommandInteraction,
  RESTPostAPIChatInputApplicationCommandsJSONBody,
} from 'discord.js';
import type { Services } from '../services.js';

/** One slash command: the discord.js guide's module shape, `data` + `execute`. */
export interface Command {
  data: { name: string; toJSON(): RESTPostAPIChatInputApplicationCommandsJSONBody };
  /**
   * Permission a member needs. It is also the command's default_member_permissions, but server admins can override
   * those, so it is checked again when the command runs.
   */
  requiredPermission?: bigint;
  requiredPermissionName?: string;
  execute(interaction: ChatInputCommandInteraction, services: Services): Promise<void>;
  autocomplete?(interaction: AutocompleteInteraction, services: Services): Promise<void>;
}
