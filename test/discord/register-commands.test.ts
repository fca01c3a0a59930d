// Command registration: one PUT only when the definitions (or the API they go to) changed for this application and
// scope; a store that can't be read or written costs an extra PUT, never a failed start.
import { describe, expect, it } from 'vitest';
import { registerCommands, type RegisterCommandsOptions } from '../../src/discord/register-commands.js';
import { StoreUnavailableError } from '../../src/store/errors.js';
import { capturedLogger } from './fake-interaction.js';

function setup(meta: RegisterCommandsOptions['meta'] = new MapMeta()) {
  const puts: Array<{ route: string; body: unknown }> = [];
  const { log, lines } = capturedLogger();
  const options = (over: Partial<RegisterCommandsOptions> = {}): RegisterCommandsOptions => ({
    rest: { put: async (route: string, o?: { body?: unknown }) => (puts.push({ route, body: o?.body }), []) } as never,
    meta,
    log,
    applicationId: '1',
    guildId: '2',
    apiUrl: 'https://discord.com/api',
    bodies: [{ name: 'help', description: 'How Herald works' }],
    ...over,
  });
  return { puts, lines, options };
}

class MapMeta {
  readonly map = new Map<string, unknown>();
  get = async (key: string) => this.map.get(key);
  set = async (key: string, value: unknown) => void this.map.set(key, value);
}

describe('registerCommands', () => {
  it('PUTs once, then not again for the same bodies; again when a body, the scope or the API changes', async () => {
    const { puts, options } = setup();
    expect(await registerCommands(options())).toBe('registered');
    expect(await registerCommands(options())).toBe('unchanged');
    expect(puts.map((p) => p.route)).toEqual(['/applications/1/guilds/2/commands']);
    expect(await registerCommands(options({ bodies: [{ name: 'help', description: 'Reworded' }] }))).toBe('registered');
    expect(await registerCommands(options({ guildId: null }))).toBe('registered');
    expect(await registerCommands(options({ guildId: null }))).toBe('unchanged');
    expect(await registerCommands(options({ guildId: null, apiUrl: 'http://127.0.0.1:9/api' }))).toBe('registered');
    expect(puts.map((p) => p.route)).toEqual(['/applications/1/guilds/2/commands', '/applications/1/guilds/2/commands', '/applications/1/commands', '/applications/1/commands']);
  });

  it('a store that fails to read or write: registers anyway and says why in a warning', async () => {
    const down = { get: async () => Promise.reject(new StoreUnavailableError('down')), set: async () => Promise.reject(new StoreUnavailableError('down')) };
    const { puts, lines, options } = setup(down);
    expect(await registerCommands(options())).toBe('registered');
    expect(await registerCommands(options())).toBe('registered');
    expect(puts).toHaveLength(2);
    expect(lines.map((l) => l.event)).toEqual(['commands.hash_unreadable', 'commands.hash_unsaved', 'commands.registered', 'commands.hash_unreadable', 'commands.hash_unsaved', 'commands.registered']);
  });

  it('a failed PUT throws (start fails as before) and records nothing, so the next start tries again', async () => {
    const meta = new MapMeta();
    const { options } = setup(meta);
    const failing = options({ rest: { put: async () => Promise.reject(new Error('HTTP 500')) } as never });
    await expect(registerCommands(failing)).rejects.toThrow('HTTP 500');
    expect(meta.map.size).toBe(0);
  });
});
