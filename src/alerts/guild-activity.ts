// What /status tells a server about its alerts: how many were posted today and in the last 7 days, how many wait in
// the outbox, and the last send error that concerned it. One small record per guild, written as alerts are sent.
import type { Logger } from '../log.js';
import { KeyedLock, type SectionLock } from '../store/store.js';
import type { Collection } from '../store/store.js';
import type { AlertStore } from './records.js';

/** Days of posted counts a guild's record keeps (today and the 7 before it). */
const KEPT_DAYS = 8;
/** Longest error text kept. */
const MAX_ERROR_CHARS = 300;

export interface GuildError {
  at: string;
  /** the channel it happened in, when it concerned one */
  channelId: string | null;
  text: string;
}

export interface GuildActivityRecord {
  guildId: string;
  /** alerts posted per UTC day (`2026-12-01` → 4), the last KEPT_DAYS days */
  posted: Record<string, number>;
  lastError: GuildError | null;
}

/** The collection guild activity keeps (assembled with the others in src/repositories.ts). */
export interface GuildActivityStore {
  guildActivity: Collection<GuildActivityRecord>;
}

export interface GuildActivitySummary {
  postedToday: number;
  postedThisWeek: number;
  /** alerts of this guild waiting in the outbox (queued, retrying, or held by a paused channel) */
  queued: number;
  lastError: GuildError | null;
}

const dayOf = (date: Date) => date.toISOString().slice(0, 10);

export class GuildActivity {
  private readonly lock: SectionLock;

  /** `lock`: one update at a time per guild; with several workers, a lock in Redis (else counts get lost). */
  constructor(private readonly deps: { store: GuildActivityStore & Pick<AlertStore, 'outbox'>; clock: () => Date; log: Logger; lock?: SectionLock }) {
    this.lock = deps.lock ?? new KeyedLock();
  }

  /** Counts one posted alert. Never rejects: a count lost to a store failure is logged, the alert is posted anyway. */
  recordPosted(guildId: string): Promise<void> {
    return this.update(guildId, (record, now) => {
      const today = dayOf(now);
      record.posted[today] = (record.posted[today] ?? 0) + 1;
    });
  }

  /** Keeps the last error that concerned a guild (one per guild). Never rejects. */
  recordError(guildId: string, channelId: string | null, text: string): Promise<void> {
    return this.update(guildId, (record, now) => {
      record.lastError = { at: now.toISOString(), channelId, text: text.slice(0, MAX_ERROR_CHARS) };
    });
  }

  async summary(guildId: string): Promise<GuildActivitySummary> {
    const record = await this.deps.store.guildActivity.get(guildId);
    const now = this.deps.clock();
    const week = new Set(Array.from({ length: 7 }, (_, i) => dayOf(new Date(now.getTime() - i * 86_400_000))));
    let postedThisWeek = 0;
    for (const [day, count] of Object.entries(record?.posted ?? {})) if (week.has(day)) postedThisWeek += count;
    let queued = 0;
    for await (const [, entry] of this.deps.store.outbox.entries()) if (entry.guildId === guildId) queued++;
    return { postedToday: record?.posted[dayOf(now)] ?? 0, postedThisWeek, queued, lastError: record?.lastError ?? null };
  }

  private update(guildId: string, change: (record: GuildActivityRecord, now: Date) => void): Promise<void> {
    return this.lock
      .run(guildId, async () => {
        const now = this.deps.clock();
        const stored = await this.deps.store.guildActivity.get(guildId);
        const record: GuildActivityRecord = { guildId, posted: { ...stored?.posted }, lastError: stored?.lastError ?? null };
        change(record, now);
        const oldest = dayOf(new Date(now.getTime() - (KEPT_DAYS - 1) * 86_400_000));
        for (const day of Object.keys(record.posted)) if (day < oldest) delete record.posted[day];
        await this.deps.store.guildActivity.set(guildId, record);
      })
      .catch((error: unknown) => this.deps.log.warn({ event: 'guild_activity.unsaved', guild: guildId, error: String(error) }, 'could not update the guild activity shown by /status'));
  }
}
