/**
 * Feed health as members see it in Discord: what `/feed status` and `/feed list` show (emoji, Discord timestamps).
 * Pure functions over a FeedRecord and the time; feeds/ itself stays free of Discord formatting.
 */
import type { FeedRecord } from '../feeds/records.js';
import { formatDuration } from '../feeds/poll/scheduler.js';

type HealthState = 'ok' | 'new' | 'failing' | 'disabled';

export interface FeedHealth {
  state: HealthState;
  /** One short line, e.g. "✅ healthy" or "⚠️ failing for 5 hours (3 attempts)". */
  summary: string;
}

export function feedHealth(record: FeedRecord, now: Date): FeedHealth {
  if (record.disabledReason) return { state: 'disabled', summary: '⛔ disabled' };
  if (record.consecutiveFailures > 0) {
    const since = record.firstFailureAt ? now.getTime() - Date.parse(record.firstFailureAt) : 0;
    const attempts = `${record.consecutiveFailures} failed attempt${record.consecutiveFailures === 1 ? '' : 's'}`;
    return { state: 'failing', summary: since > 0 ? `⚠️ failing for ${formatDuration(since)} (${attempts})` : `⚠️ failing (${attempts})` };
  }
  if (!record.lastSuccessAt) return { state: 'new', summary: '🆕 not polled yet' };
  return { state: 'ok', summary: '✅ healthy' };
}

/** A Discord timestamp (renders in each reader's time zone): relative, e.g. "in 2 minutes" / "3 hours ago". */
export function discordTime(iso: string | null | undefined, style: 'R' | 'f' = 'R'): string {
  if (!iso) return 'never';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return 'never';
  return `<t:${Math.floor(t / 1000)}:${style}>`;
}
