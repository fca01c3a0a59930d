// Channel permission overwrites, the way Discord applies them: @everyone's overwrite, then the member's roles'
// (all denies, then all allows), then the member's own. Administrator ignores overwrites.
import { PermissionFlagsBits } from 'discord-api-types/v10';
import { ALL_PERMISSIONS } from './util.js';

export interface FakeOverwrite {
  /** a role id (the guild id for @everyone) or a user id */
  id: string;
  type: 'role' | 'member';
  allow?: bigint;
  deny?: bigint;
}

/** The overwrite objects a channel payload carries (`permission_overwrites`). */
export function overwritesJson(overwrites: readonly FakeOverwrite[]): Array<Record<string, unknown>> {
  return overwrites.map((o) => ({ id: o.id, type: o.type === 'role' ? 0 : 1, allow: (o.allow ?? 0n).toString(), deny: (o.deny ?? 0n).toString() }));
}

/** A member's permissions in a channel, from their guild-level permissions and the channel's overwrites. */
export function channelPermissions(base: bigint, overwrites: readonly FakeOverwrite[], who: { guildId: string; userId: string; roleIds: readonly string[] }): bigint {
  if ((base & PermissionFlagsBits.Administrator) !== 0n) return ALL_PERMISSIONS;
  let perms = base;
  const everyone = overwrites.find((o) => o.type === 'role' && o.id === who.guildId);
  if (everyone) perms = (perms & ~(everyone.deny ?? 0n)) | (everyone.allow ?? 0n);
  let allow = 0n;
  let deny = 0n;
  for (const o of overwrites) {
    if (o.type === 'role' && o.id !== who.guildId && who.roleIds.includes(o.id)) {
      allow |= o.allow ?? 0n;
      deny |= o.deny ?? 0n;
    }
  }
  perms = (perms & ~deny) | allow;
  const own = overwrites.find((o) => o.type === 'member' && o.id === who.userId);
  if (own) perms = (perms & ~(own.deny ?? 0n)) | (own.allow ?? 0n);
  return perms;
}
