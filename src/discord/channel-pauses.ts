// Lifting a channel's pause once Herald may post there again: what /subscriptions resume and /status share.
import type { Guild } from 'discord.js';
import type { ChannelPause } from '../match/records.js';
import type { Services } from '../services.js';
import { discordTime } from './feed-health.js';
import { permissionGaps } from './alert-channel.js';

export type ResumeOutcome =
  | { kind: 'not-paused' }
  /** the channel is no longer in the cache (deleted): nothing to check */
  | { kind: 'unknown-channel'; pause: ChannelPause }
  | { kind: 'still-missing'; pause: ChannelPause; missing: string[] }
  /** `waiting`: alerts held while it was paused, now being posted; `reactions`: still lacking for the ratings */
  | { kind: 'resumed'; pause: ChannelPause; waiting: number; reactions: string[] };

/** Checks Herald's permissions in a paused channel (from the gateway cache) and resumes it when they are all there. */
export async function resumeIfPermitted(guild: Guild | null, channelId: string, services: Pick<Services, 'subscriptions' | 'alerts'>): Promise<ResumeOutcome> {
  const pause = services.subscriptions.pauseOf(channelId);
  if (!pause) return { kind: 'not-paused' };
  const gaps = permissionGaps(guild ?? undefined, channelId);
  if (!gaps) return { kind: 'unknown-channel', pause };
  if (gaps.blocking.length) return { kind: 'still-missing', pause, missing: gaps.blocking };
  await services.subscriptions.resumeChannel(channelId);
  const waiting = await services.alerts.resendChannel(channelId);
  return { kind: 'resumed', pause, waiting, reactions: gaps.reactions };
}

/** "A", "A and B", "A, B and C". */
export function listed(names: string[]): string {
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

/** Why a channel is paused, in one line: since when and what Herald lacked. */
export function pauseReason(pause: ChannelPause): string {
  const what = pause.missing.length ? `Herald lacked ${listed(pause.missing)} there` : `Discord refused an alert (${pause.error})`;
  return `paused ${discordTime(pause.pausedAt)}: ${what}`;
}

/** The reply line for a resume attempt (nothing for a channel that wasn't paused). */
export function resumeLine(outcome: ResumeOutcome, channelId: string): string {
  const channel = `<#${channelId}>`;
  switch (outcome.kind) {
    case 'not-paused':
      return `${channel} isn't paused: its alerts are on.`;
    case 'unknown-channel':
      return `Herald can't find ${channel} any more. If it was deleted, its subscriptions go with it; otherwise try again in a minute.`;
    case 'still-missing':
      return `⏸️ ${channel} stays paused: Herald still lacks ${listed(outcome.missing)} there. Give Herald's role ${outcome.missing.length === 1 ? outcome.missing[0] : 'those permissions'} in ${channel}, then run /subscriptions resume again.`;
    case 'resumed': {
      const waiting = outcome.waiting ? ` ${outcome.waiting} alert${outcome.waiting === 1 ? '' : 's'} that waited ${outcome.waiting === 1 ? 'is' : 'are'} being posted now.` : '';
      const reactions = outcome.reactions.length ? ` Note: without ${listed(outcome.reactions)} the alerts there get no 1️⃣–5️⃣ rating reactions.` : '';
      return `▶️ Resumed ${channel}: new matching stories are posted there again.${waiting}${reactions}`;
    }
  }
}
