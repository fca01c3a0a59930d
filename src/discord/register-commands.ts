import { createHash } from 'node:crypto';
import { Routes, type REST, type RESTPostAPIChatInputApplicationCommandsJSONBody } from 'discord.js';
import type { Logger } from '../log.js';
import type { Collection } from '../store/store.js';

export interface RegisterCommandsOptions {
  rest: Pick<REST, 'put'>;
  /** Where the hash of the last registered definitions is kept (the store's `meta` namespace). */
  meta: Pick<Collection<unknown>, 'get' | 'set'>;
  log: Logger;
  applicationId: string;
  /** Guild-scoped registration (instant, for development) when set, else global. */
  guildId: string | null;
  /** The Discord API the bodies go to: another API (a test's fake Discord) has its own registrations. */
  apiUrl: string;
  bodies: RESTPostAPIChatInputApplicationCommandsJSONBody[];
}

/** Key of the registration hash: one per application and scope. */
const registrationKey = (applicationId: string, guildId: string | null) => `commands:${applicationId}:${guildId ?? 'global'}`;

/** sha256 of the API and the JSON bodies: what a registration is checked against. */
function registrationHash(apiUrl: string, bodies: unknown[]): string {
  return createHash('sha256').update(apiUrl).update('\n').update(JSON.stringify(bodies)).digest('hex');
}

/**
 * Registers the slash commands (one bulk PUT) only when their definitions changed since the last registration for
 * this application and scope: Discord rate-limits command writes (200 a day per guild), and a restart loop must not
 * spend them. A store that can't be read or written costs one extra PUT, never a failed start.
 */
export async function registerCommands(o: RegisterCommandsOptions): Promise<'registered' | 'unchanged'> {
  const key = registrationKey(o.applicationId, o.guildId);
  const hash = registrationHash(o.apiUrl, o.bodies);
  const scope = o.guildId ? `guild ${o.guildId}` : 'global';
  const previous = await o.meta.get(key).catch((error: unknown) => {
    o.log.warn({ event: 'commands.hash_unreadable', scope, error: String(error) }, 'could not read the registered commands hash; registering again');
    return undefined;
  });
  if (previous === hash) {
    o.log.info({ event: 'commands.unchanged', scope, commands: o.bodies.length }, 'slash commands unchanged since the last registration; not registering them again');
    return 'unchanged';
  }
  await o.rest.put(o.guildId ? Routes.applicationGuildCommands(o.applicationId, o.guildId) : Routes.applicationCommands(o.applicationId), { body: o.bodies });
  await o.meta.set(key, hash).catch((error: unknown) => {
    o.log.warn({ event: 'commands.hash_unsaved', scope, error: String(error) }, 'could not save the registered commands hash; the next start registers them again');
  });
  o.log.info({ event: 'commands.registered', scope, commands: o.bodies.length }, 'slash commands registered');
  return 'registered';
}
