import { randomBytes } from 'node:crypto';
import { UserFacingError } from '../errors.js';
import type { Logger } from '../log.js';
import type { ChannelPause, SubscriptionRecord, SubscriptionStore } from './records.js';
import { KeyedLock } from '../store/store.js';
import { noChangeBus, type ChangeBus } from '../store/changes.js';
import { SubscriptionIndex, type AlternativeMatch } from './index.js';
import type { MatchableItem } from './item.js';
import { parseQuery, queryErrorText, type Query } from './query.js';
import { regexKey, regexProblem } from './regex.js';

export type SubscriptionProblemCode = 'syntax' | 'duplicate' | 'limit' | 'not-found';

/** Why a subscription can't be made or found, in words for the user. */
export class SubscriptionProblem extends UserFacingError {
  override name = 'SubscriptionProblem';
  constructor(
    readonly code: SubscriptionProblemCode,
    message: string,
  ) {
    super(message);
  }
}

export interface SubscriptionServiceDeps {
  store: SubscriptionStore;
  log: Logger;
  clock: () => Date;
  maxPerGuild: number;
  /** distinct regular expressions a guild's subscriptions may use together (MAX_REGEX_PER_GUILD); default 10 */
  maxRegexPerGuild?: number;
  /** Tells other Herald processes (they keep this index too) what changed; default: none to tell. */
  changes?: ChangeBus;
}

const DEFAULT_MAX_REGEX_PER_GUILD = 10;

/** The distinct regexes of a query (pattern + flags; the unit of cost: each runs once per item). */
export function regexKeysOf(query: Query): Set<string> {
  const keys = new Set<string>();
  for (const a of query.alternatives) for (const t of a.terms) if (t.kind === 'regex') keys.add(regexKey(t.source, t.flags.replace('u', '')));
  return keys;
}

/** Subscriptions: the stored records plus the in-memory index that matches items against all of them at once. */
export class SubscriptionService {
  private readonly byId = new Map<string, SubscriptionRecord>();
  /** the same records by guild and by channel, so a server's list costs its own size, not everyone's */
  private readonly byGuild = new Map<string, Map<string, SubscriptionRecord>>();
  private readonly byChannel = new Map<string, Map<string, SubscriptionRecord>>();
  /** regex key → how many of the guild's subscriptions use it, by guild */
  private readonly regexByGuild = new Map<string, Map<string, number>>();
  private readonly index = new SubscriptionIndex();
  private readonly lock = new KeyedLock();
  /** paused channels (see ChannelPause): their subscriptions stay stored and listed but are not in the index */
  private readonly pauses = new Map<string, ChannelPause>();

  /** distinct regexes a guild's subscriptions may use together */
  readonly maxRegexPerGuild: number;

  constructor(private readonly deps: SubscriptionServiceDeps) {
    this.maxRegexPerGuild = deps.maxRegexPerGuild ?? DEFAULT_MAX_REGEX_PER_GUILD;
  }

  async load(): Promise<void> {
    for (const record of [...this.byId.values()]) this.forget(record);
    for (const channelId of [...this.pauses.keys()]) this.pauses.delete(channelId);
    for await (const [, pause] of this.deps.store.pausedChannels.entries()) this.pauses.set(pause.channelId, pause);
    for await (const [, record] of this.deps.store.subscriptions.entries()) this.keep(record);
    this.deps.log.info({ event: 'subscriptions.loaded', count: this.byId.size }, 'subscriptions loaded');
    // stored before the switch to RE2: a pattern it can't run matches nothing; /why tells members, this the operator
    for (const record of this.byId.values())
      for (const a of (record.query as Query).alternatives)
        for (const t of a.terms) {
          const problem = t.kind === 'regex' ? regexProblem(t.source, t.flags) : null;
          if (problem) this.deps.log.warn({ event: 'subscription.regex_unusable', guild: record.guildId, channel: record.channelId, subscription: record.id, problem }, 'stored regex cannot run; it matches nothing');
        }
    // stored before the limit (or with a higher one): kept, but new regexes are refused until under it
    for (const [guild, keys] of this.regexByGuild)
      if (keys.size > this.maxRegexPerGuild)
        this.deps.log.warn({ event: 'subscriptions.regex_over_limit', guild, count: keys.size, limit: this.maxRegexPerGuild }, 'guild has more regexes than MAX_REGEX_PER_GUILD');
  }

  /** How many distinct regexes the guild's subscriptions use. */
  regexCountForGuild(guildId: string): number {
    return this.regexByGuild.get(guildId)?.size ?? 0;
  }

  get(id: string): SubscriptionRecord | undefined {
    return this.byId.get(id);
  }

  listForGuild(guildId: string): SubscriptionRecord[] {
    return [...(this.byGuild.get(guildId)?.values() ?? [])].sort(byCreation);
  }

  listForChannel(channelId: string): SubscriptionRecord[] {
    return [...(this.byChannel.get(channelId)?.values() ?? [])].sort(byCreation);
  }

  /** Every guild that has a subscription (a worker has no gateway to list its guilds). */
  guildIds(): string[] {
    return [...this.byGuild.keys()];
  }

  countForGuild(guildId: string): number {
    return this.byGuild.get(guildId)?.size ?? 0;
  }

  async create(input: { guildId: string; channelId: string; queryText: string; userId: string }): Promise<SubscriptionRecord> {
    const parsed = parseQuery(input.queryText);
    if (!parsed.ok) throw new SubscriptionProblem('syntax', queryErrorText(parsed.error));
    return this.lock.run(input.guildId, async () => {
      const existing = this.listForChannel(input.channelId).find((s) => s.canonical === parsed.canonical);
      if (existing) {
        throw new SubscriptionProblem('duplicate', `<#${input.channelId}> already has this subscription (${existing.id}: ${existing.canonical}).`);
      }
      if (this.countForGuild(input.guildId) >= this.deps.maxPerGuild) {
        throw new SubscriptionProblem('limit', `This server has ${this.deps.maxPerGuild} subscriptions, the limit. Remove one with /unsubscribe first.`);
      }
      this.checkRegexLimit(input.guildId, parsed.query);
      const record: SubscriptionRecord = {
        id: randomBytes(4).toString('hex'),
        guildId: input.guildId,
        channelId: input.channelId,
        queryText: input.queryText.trim(),
        canonical: parsed.canonical,
        query: parsed.query,
        createdBy: input.userId,
        createdAt: this.deps.clock().toISOString(),
        mode: 'instant',
      };
      await this.deps.store.subscriptions.set(record.id, record);
      this.keep(record);
      await this.announce({ kind: 'subscription', id: record.id });
      this.deps.log.info({ event: 'subscription.create', guild: record.guildId, channel: record.channelId, subscription: record.id, query: record.canonical }, 'subscribed');
      return record;
    });
  }

  /** Removes a subscription of this guild. */
  async remove(guildId: string, id: string): Promise<SubscriptionRecord> {
    const record = this.byId.get(id.trim());
    if (!record || record.guildId !== guildId) throw new SubscriptionProblem('not-found', `There is no subscription "${id.slice(0, 40)}" in this server. /subscriptions lists them with their ids.`);
    await this.deleteRecord(record);
    this.deps.log.info({ event: 'subscription.remove', guild: guildId, channel: record.channelId, subscription: record.id }, 'unsubscribed');
    return record;
  }

  /** A channel is gone: its subscriptions (and its pause) go with it. */
  async removeChannel(channelId: string): Promise<number> {
    const records = this.listForChannel(channelId);
    for (const record of records) await this.deleteRecord(record);
    if (this.pauses.has(channelId)) {
      await this.deps.store.pausedChannels.delete(channelId);
      this.pauses.delete(channelId);
      await this.announce({ kind: 'pause', id: channelId });
    }
    if (records.length) this.deps.log.info({ event: 'subscription.channel_removed', channel: channelId, count: records.length }, 'channel gone; subscriptions removed');
    return records.length;
  }

  /** The channel's pause, while its subscriptions are paused. */
  pauseOf(channelId: string): ChannelPause | undefined {
    return this.pauses.get(channelId);
  }

  /** This guild's paused channels, oldest pause first. */
  pausedInGuild(guildId: string): ChannelPause[] {
    return [...this.pauses.values()].filter((p) => p.guildId === guildId).sort((a, b) => a.pausedAt.localeCompare(b.pausedAt));
  }

  /**
   * Pauses a channel's subscriptions: they stay stored and listed but match nothing, so no alert is queued for it.
   * `created` is false when it was paused already (the caller then sends no second notice).
   */
  async pauseChannel(input: Omit<ChannelPause, 'pausedAt'>): Promise<{ pause: ChannelPause; created: boolean }> {
    return this.lock.run(`pause:${input.channelId}`, async () => {
      const existing = this.pauses.get(input.channelId);
      if (existing) return { pause: existing, created: false };
      const pause: ChannelPause = { ...input, missing: input.missing.slice(0, 8), pausedAt: this.deps.clock().toISOString() };
      // atomic: of several workers refused in one channel at once, one pauses it (and one notice goes out)
      if (!(await this.deps.store.pausedChannels.addIfAbsent(pause.channelId, pause))) {
        const stored = (await this.deps.store.pausedChannels.get(pause.channelId)) ?? pause;
        this.pauses.set(pause.channelId, stored);
        for (const record of this.listForChannel(pause.channelId)) this.index.remove(record.id);
        return { pause: stored, created: false };
      }
      this.pauses.set(pause.channelId, pause);
      for (const record of this.listForChannel(pause.channelId)) this.index.remove(record.id);
      await this.announce({ kind: 'pause', id: pause.channelId });
      this.deps.log.warn({ event: 'subscriptions.paused', guild: pause.guildId, channel: pause.channelId, missing: pause.missing, error: pause.error }, "channel's subscriptions paused: Herald may not post there");
      return { pause, created: true };
    });
  }

  /** Lifts a channel's pause: its subscriptions match again. Returns the pause lifted, or null when it had none. */
  async resumeChannel(channelId: string): Promise<ChannelPause | null> {
    return this.lock.run(`pause:${channelId}`, async () => {
      const pause = this.pauses.get(channelId);
      if (!pause) return null;
      await this.deps.store.pausedChannels.delete(channelId);
      this.pauses.delete(channelId);
      for (const record of this.listForChannel(channelId)) this.index.add(record.id, record.query as Query, record.guildId);
      await this.announce({ kind: 'pause', id: channelId });
      this.deps.log.info({ event: 'subscriptions.resumed', guild: pause.guildId, channel: channelId }, "channel's subscriptions resumed");
      return pause;
    });
  }

  /** Regexes are the costly terms: a guild may use at most maxRegexPerGuild distinct ones across its subscriptions. */
  private checkRegexLimit(guildId: string, query: Query): void {
    const held = this.regexByGuild.get(guildId);
    const added = [...regexKeysOf(query)].filter((k) => !held?.has(k)).length;
    if (added === 0) return;
    const limit = this.maxRegexPerGuild;
    const count = held?.size ?? 0;
    if (count + added <= limit) return;
    if (limit === 0) throw new SubscriptionProblem('limit', 'Regular expressions are turned off on this Herald (MAX_REGEX_PER_GUILD=0). Use phrases instead, like: korea*, "missile test".');
    const has = count === 0 ? 'uses no regular expressions yet' : `already uses ${count} regular expression${count === 1 ? '' : 's'}`;
    throw new SubscriptionProblem(
      'limit',
      `This query has ${added} new regular expression${added === 1 ? '' : 's'} and this server ${has}; the limit is ${limit} per server. Free one with /unsubscribe (a subscription with a /regex/), or use phrases instead.`,
    );
  }

  /**
   * The matched alternatives, each with the ids of the subscriptions that have it (a subscription appears once per
   * alternative of its query that matched). Read it before the next subscribe or unsubscribe.
   *
   * `guildFollows` says which guilds may receive the item (they follow its feed): regex alternatives are evaluated
   * only when a guild holding them does, so a guild's regexes cost nothing on other guilds' feeds. Phrase-only
   * alternatives are matched regardless (cheap); the caller still checks each subscriber's guild.
   */
  matchAlternatives(item: MatchableItem, options: { guildFollows?: (guildId: string) => boolean } = {}): AlternativeMatch[] {
    return this.index.matchAlternatives(item, options.guildFollows ? { eligible: options.guildFollows } : {});
  }

  private keep(record: SubscriptionRecord): void {
    const old = this.byId.get(record.id);
    if (old) this.forget(old);
    this.byId.set(record.id, record);
    if (!this.pauses.has(record.channelId)) this.index.add(record.id, record.query as Query, record.guildId);
    this.countRegexes(record, +1);
    for (const [map, key] of [
      [this.byGuild, record.guildId],
      [this.byChannel, record.channelId],
    ] as const) {
      let m = map.get(key);
      if (!m) map.set(key, (m = new Map()));
      m.set(record.id, record);
    }
  }

  private forget(record: SubscriptionRecord): void {
    this.byId.delete(record.id);
    this.index.remove(record.id);
    this.countRegexes(record, -1);
    for (const [map, key] of [
      [this.byGuild, record.guildId],
      [this.byChannel, record.channelId],
    ] as const) {
      const m = map.get(key);
      m?.delete(record.id);
      if (m?.size === 0) map.delete(key);
    }
  }

  private countRegexes(record: SubscriptionRecord, delta: 1 | -1): void {
    const keys = regexKeysOf(record.query as Query);
    if (keys.size === 0) return;
    let held = this.regexByGuild.get(record.guildId);
    if (!held) this.regexByGuild.set(record.guildId, (held = new Map()));
    for (const k of keys) {
      const n = (held.get(k) ?? 0) + delta;
      if (n > 0) held.set(k, n);
      else held.delete(k);
    }
    if (held.size === 0) this.regexByGuild.delete(record.guildId);
  }

  private async deleteRecord(record: SubscriptionRecord): Promise<void> {
    await this.deps.store.subscriptions.delete(record.id);
    this.forget(record);
    await this.announce({ kind: 'subscription', id: record.id });
  }

  /** Other processes hear of a change; if they can't, they still read everything again when their link comes back. */
  private async announce(change: { kind: 'subscription' | 'pause'; id: string }): Promise<void> {
    try {
      await (this.deps.changes ?? noChangeBus).publish(change);
    } catch (error) {
      this.deps.log.warn({ event: 'subscriptions.announce_failed', ...change, error: error instanceof Error ? error.message : String(error) }, 'could not tell the other Herald processes about a change');
    }
  }

  /**
   * Another process changed a subscription: the stored record replaces what this one holds (or its absence removes
   * it). Runs under the guild's lock, like create.
   */
  async reloadSubscription(id: string): Promise<void> {
    const stored = await this.deps.store.subscriptions.get(id);
    const held = this.byId.get(id);
    const guildId = stored?.guildId ?? held?.guildId;
    if (!guildId) return;
    await this.lock.run(guildId, async () => {
      const now = await this.deps.store.subscriptions.get(id);
      if (now) this.keep(now);
      else if (this.byId.has(id)) this.forget(this.byId.get(id)!);
    });
    this.deps.log.info({ event: 'subscription.synced', guild: guildId, subscription: id, present: stored !== undefined }, 'subscription change from another process applied');
  }

  /** Another process paused or resumed a channel. */
  async reloadPause(channelId: string): Promise<void> {
    await this.lock.run(`pause:${channelId}`, async () => {
      const stored = await this.deps.store.pausedChannels.get(channelId);
      const held = this.pauses.get(channelId);
      if (stored && !held) {
        this.pauses.set(channelId, stored);
        for (const record of this.listForChannel(channelId)) this.index.remove(record.id);
      } else if (!stored && held) {
        this.pauses.delete(channelId);
        for (const record of this.listForChannel(channelId)) this.index.add(record.id, record.query as Query, record.guildId);
      } else if (stored) this.pauses.set(channelId, stored);
    });
  }
}

function byCreation(a: SubscriptionRecord, b: SubscriptionRecord): number {
  return a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id);
}
