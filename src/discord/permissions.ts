// A member's permissions in a channel from REST data (roles, member, overwrites), the way Discord computes them:
// for what runs without the gateway cache (herald doctor, a worker's notices). A gateway uses discord.js's cache.
import { PermissionFlagsBits } from 'discord.js';

export interface RestRole {
  id: string;
  permissions: string;
}

export interface RestOverwrite {
  id: string;
  /** 0 role, 1 member */
  type: number;
  allow: string;
  deny: string;
}

const ALL = (1n << 64n) - 1n;

/**
 * Base permissions (@everyone plus the member's roles; owner and Administrator get everything), then the channel's
 * overwrites: @everyone's, then the member's roles' (denies before allows), then the member's own.
 */
export function computeChannelPermissions(input: {
  guildId: string;
  ownerId: string | null;
  userId: string;
  memberRoleIds: readonly string[];
  roles: readonly RestRole[];
  overwrites: readonly RestOverwrite[];
}): bigint {
  if (input.ownerId === input.userId) return ALL;
  const roleBits = new Map(input.roles.map((r) => [r.id, BigInt(r.permissions)]));
  let base = roleBits.get(input.guildId) ?? 0n;
  for (const id of input.memberRoleIds) base |= roleBits.get(id) ?? 0n;
  if ((base & PermissionFlagsBits.Administrator) !== 0n) return ALL;

  let perms = base;
  const everyone = input.overwrites.find((o) => o.type === 0 && o.id === input.guildId);
  if (everyone) perms = (perms & ~BigInt(everyone.deny)) | BigInt(everyone.allow);
  let allow = 0n;
  let deny = 0n;
  for (const o of input.overwrites) {
    if (o.type === 0 && o.id !== input.guildId && input.memberRoleIds.includes(o.id)) {
      allow |= BigInt(o.allow);
      deny |= BigInt(o.deny);
    }
  }
  perms = (perms & ~deny) | allow;
  const own = input.overwrites.find((o) => o.type === 1 && o.id === input.userId);
  if (own) perms = (perms & ~BigInt(own.deny)) | BigInt(own.allow);
  return perms;
}
