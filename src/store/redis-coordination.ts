// What several Herald processes on one Redis need beyond keyv's get/set, each one atomic step on Redis itself:
// change notices (pub/sub), one hash field per vote, first-claim-wins markers for new items, channel lines, and
// locks held across processes. Keys and values only: what a change or a vote means is decided above (src/match,
// src/ratings, src/feeds).
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis, type RedisOptions } from 'ioredis';
import { errorText, StoreUnavailableError, withTimeout } from './errors.js';
import { storedKey } from './keys.js';
import type { Change, ChangeBus } from './changes.js';
import { KeyedLock, type SectionLock } from './store.js';
import { hostname } from 'node:os';
import { ROSTER_FRESH_MS, ROSTER_RENEW_MS, type ProcessRole, type RosterEntry } from './process-roster.js';

export type { Change, ChangeBus } from './changes.js';

export interface SectionLockOptions {
  /** How long a holder that died keeps the lock (a live holder renews it every third of this). */
  holdMs?: number;
  /** How long to wait for it before giving up with StoreUnavailableError. */
  waitMs?: number;
  /** A live holder lost the lock (Redis was unreachable for longer than holdMs): another may now run beside it. */
  onLost?: (key: string) => void;
}

/** discord.js's identify throttler (`ws.buildIdentifyThrottler`), as @discordjs/ws calls it. */
export interface IdentifyThrottler {
  waitForIdentify(shardId: number, signal: AbortSignal): Promise<void>;
}

/** Discord's window for one IDENTIFY per bucket is 5 s; the rest is room for the time between slot and send. */
export const IDENTIFY_GAP_MS = 5_500;
/** How many times a shard looks for its bucket before it identifies anyway (many gateways starting at once). */
const IDENTIFY_LOOKS = 120;

export interface RedisCoordinationOptions {
  /** Lowercase letters in front of every key and channel (tests share one server this way). */
  prefix?: string;
  connectTimeoutMs?: number;
}

/** Sets a vote unless it is the member's current one; bumps the hash's version. Seeds votes stored before Redis. */
const SET_VOTE = `
if redis.call('HSETNX', KEYS[1], '~v', 0) == 1 then
  for i = 3, #ARGV, 2 do redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1]) end
end
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HINCRBY', KEYS[1], '~v', 1)
return 1`;

/** Withdraws a vote only when it is still the member's current one (they may have moved on). */
const WITHDRAW_VOTE = `
if redis.call('HSETNX', KEYS[1], '~v', 0) == 1 then
  for i = 3, #ARGV, 2 do redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1]) end
end
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HINCRBY', KEYS[1], '~v', 1)
return 1`;

/** Appends a member to a channel's line unless it is in it already. */
const JOIN_LINE = `
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], redis.call('INCR', KEYS[2]), ARGV[1])
return 1`;

/** Renews a lock only while the caller still holds it. */
const RENEW_LOCK = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

/** Releases a lock only while the caller still holds it (an expired one may be someone else's by now). */
const RELEASE_LOCK = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])`;

/** The redis:// URL as ioredis options that fail fast instead of queueing forever (BullMQ wants its own retries). */
export function redisOptions(extra: RedisOptions = {}): RedisOptions {
  return { connectTimeout: 5_000, enableOfflineQueue: true, lazyConnect: true, ...extra };
}

/**
 * One process's coordination connection to Redis: a command connection and a subscriber connection (pub/sub needs its
 * own). Every method throws StoreUnavailableError when Redis fails.
 */
export class RedisCoordination implements ChangeBus {
  /** This process, so it ignores its own change notices. */
  readonly origin = randomUUID();
  private readonly changesChannel: string;
  private subscriber: Redis | null = null;

  private constructor(
    readonly url: string,
    private readonly client: Redis,
    private readonly prefix: string,
    private readonly connectTimeoutMs: number,
  ) {
    this.changesChannel = `${prefix}herald:changes`;
  }

  static async open(url: string, options: RedisCoordinationOptions = {}): Promise<RedisCoordination> {
    const connectTimeoutMs = options.connectTimeoutMs ?? 6_000;
    const client = new Redis(url, redisOptions({ maxRetriesPerRequest: 2 }));
    client.on('error', () => undefined); // reported by the failing command
    try {
      await withTimeout(client.connect(), connectTimeoutMs, () => 'connecting to Redis');
    } catch (error) {
      client.disconnect();
      throw new StoreUnavailableError(`Cannot reach Redis at STORE_URL=${url.replace(/\/\/[^@/]*@/, '//***@')} (${errorText(error)}). Check that it is running.`, { cause: error });
    }
    return new RedisCoordination(url, client, options.prefix ?? '', connectTimeoutMs);
  }

  private async run<R>(what: string, operation: () => Promise<R>): Promise<R> {
    try {
      return await withTimeout(operation(), 20_000, () => `Redis did not ${what}`);
    } catch (error) {
      if (error instanceof StoreUnavailableError) throw error;
      throw new StoreUnavailableError(`Redis failed to ${what}: ${errorText(error)}`, { cause: error });
    }
  }

  private key(kind: string, id: string): string {
    return `${this.prefix}herald:${kind}:${storedKey(id)}`;
  }

  // ---- changes ----------------------------------------------------------------------------------------------

  async publish(change: Change): Promise<void> {
    await this.run('publish a change', () => this.client.publish(this.changesChannel, JSON.stringify({ ...change, origin: this.origin })));
  }

  /**
   * Calls `onChange` for every change another process publishes, and `onResync` whenever the subscription is
   * (re)established after a drop: notices sent while it was down are lost, so everything is read again.
   */
  async listen(onChange: (change: Change) => void, onResync: () => void): Promise<void> {
    const subscriber = new Redis(this.url, redisOptions({ maxRetriesPerRequest: null }));
    this.subscriber = subscriber;
    subscriber.on('error', () => undefined);
    let first = true;
    subscriber.on('ready', () => {
      if (first) {
        first = false;
        return;
      }
      onResync(); // ioredis re-subscribes by itself after a reconnect
    });
    subscriber.on('message', (_channel: string, text: string) => {
      let message: (Change & { origin?: string }) | null = null;
      try {
        message = JSON.parse(text) as Change & { origin?: string };
      } catch {
        return;
      }
      if (!message || message.origin === this.origin || typeof message.id !== 'string') return;
      if (message.kind !== 'subscription' && message.kind !== 'pause' && message.kind !== 'guildfeeds') return;
      onChange({ kind: message.kind, id: message.id });
    });
    await withTimeout(subscriber.connect(), this.connectTimeoutMs, () => 'connecting to Redis for change notices');
    await this.run('subscribe to changes', () => subscriber.subscribe(this.changesChannel));
  }

  // ---- votes: one hash per alert, one field per member --------------------------------------------------------

  /** Sets a member's vote; false when it already was their vote. `seed`: votes stored before (copied stores). */
  async setVote(messageId: string, userId: string, vote: number, seed: Record<string, number> = {}): Promise<boolean> {
    const args = [userId, String(vote), ...Object.entries(seed).flatMap(([u, v]) => [u, String(v)])];
    return (await this.run('record a vote', () => this.client.eval(SET_VOTE, 1, this.key('votes', messageId), ...args))) === 1;
  }

  /** Withdraws a member's vote if it is still `vote`; false otherwise. */
  async withdrawVote(messageId: string, userId: string, vote: number, seed: Record<string, number> = {}): Promise<boolean> {
    const args = [userId, String(vote), ...Object.entries(seed).flatMap(([u, v]) => [u, String(v)])];
    return (await this.run('withdraw a vote', () => this.client.eval(WITHDRAW_VOTE, 1, this.key('votes', messageId), ...args))) === 1;
  }

  /** An alert's votes and the version of its message (bumped by every vote and by `bumpMessage`). */
  async votes(messageId: string): Promise<{ votes: Record<string, number>; version: number } | null> {
    const all = await this.run('read votes', () => this.client.hgetall(this.key('votes', messageId)));
    if (!('~v' in all)) return null;
    const votes: Record<string, number> = {};
    for (const [field, value] of Object.entries(all)) if (field !== '~v') votes[field] = Number(value);
    return { votes, version: Number(all['~v']) };
  }

  /** Marks that something shown on an alert's message changed (an edit in flight re-renders it). */
  async bumpMessage(messageId: string): Promise<number> {
    return this.run('mark a message changed', () => this.client.hincrby(this.key('votes', messageId), '~v', 1));
  }

  async forgetVotes(messageId: string): Promise<void> {
    await this.run('delete votes', () => this.client.del(this.key('votes', messageId)));
  }

  // ---- new items ------------------------------------------------------------------------------------------------

  /**
   * Claims items of a feed as newly seen, in one round trip (`SET NX GET` per item): returns the ids this caller may
   * alert on: those no one had claimed, and those claimed by the same `token` before (a poll job retried after its
   * worker died). Claims expire after `ttlMs`, so an item claimed by a poll that died before queuing anything is
   * seen as new again by a later poll (the outbox and the posted claims keep that to one alert).
   */
  async claimNewItems(feedUrl: string, itemIds: string[], token: string, ttlMs: number): Promise<Set<string>> {
    if (itemIds.length === 0) return new Set();
    const feedKey = storedKey(feedUrl);
    const pipeline = this.client.pipeline();
    for (const id of itemIds) pipeline.set(this.key('item', `${feedKey}|${id}`), token, 'PX', ttlMs, 'NX', 'GET');
    const answers = await this.run('claim new items', () => pipeline.exec());
    const mine = new Set<string>();
    answers?.forEach(([error, holder], i) => {
      if (error) throw new StoreUnavailableError(`Redis failed to claim new items: ${errorText(error)}`, { cause: error });
      if (holder === null || holder === token) mine.add(itemIds[i]!);
    });
    return mine;
  }

  // ---- who runs on this Redis ---------------------------------------------------------------------------------

  /** The processes whose entries were renewed within ROSTER_FRESH_MS (older ones are dropped on the way). */
  async roster(): Promise<Array<RosterEntry & { origin: string }>> {
    const key = `${this.prefix}herald:processes`;
    const now = Date.now();
    const members = await this.run('read the process roster', async () => {
      await this.client.zremrangebyscore(key, '-inf', now - 10 * ROSTER_FRESH_MS);
      return this.client.zrangebyscore(key, now - ROSTER_FRESH_MS, '+inf', 'WITHSCORES');
    });
    const entries: Array<RosterEntry & { origin: string }> = [];
    for (let i = 0; i + 1 < members.length; i += 2) {
      try {
        const entry = JSON.parse(members[i]!) as RosterEntry & { origin: string };
        if (entry.origin !== this.origin) entries.push({ ...entry, at: Number(members[i + 1]) });
      } catch {
        /* not ours */
      }
    }
    return entries;
  }

  /** Enters this process in the roster and keeps its entry fresh until the returned function is called. */
  async joinRoster(role: ProcessRole): Promise<() => Promise<void>> {
    const key = `${this.prefix}herald:processes`;
    const member = JSON.stringify({ origin: this.origin, role, host: hostname(), pid: process.pid });
    const renew = () => this.client.zadd(key, Date.now(), member);
    await this.run('join the process roster', renew);
    const timer = setInterval(() => void renew().catch(() => undefined), ROSTER_RENEW_MS);
    timer.unref();
    return async () => {
      clearInterval(timer);
      await this.client.zrem(key, member).catch(() => undefined);
    };
  }

  // ---- locks across processes ----------------------------------------------------------------------------------

  /**
   * Sections under `name` run one at a time per key in every process on this Redis: a lease (SET NX with an expiry)
   * renewed while the section runs and released by its holder only, so a holder that died frees it after `holdMs`.
   * In this process they queue on a local lock first, so only one of them at a time asks Redis.
   */
  sectionLock(name: string, options: SectionLockOptions = {}): SectionLock {
    const local = new KeyedLock();
    const holdMs = options.holdMs ?? 30_000;
    const waitMs = options.waitMs ?? 60_000;
    return {
      run: <T>(key: string, section: () => Promise<T>) =>
        local.run(key, async (): Promise<T> => {
          const lockKey = this.key(`lock:${name}`, key);
          const token = randomUUID();
          const until = Date.now() + waitMs;
          for (let look = 0; ; look++) {
            const taken = await this.run(`take the ${name} lock`, () => this.client.set(lockKey, token, 'PX', holdMs, 'NX'));
            if (taken === 'OK') break;
            if (Date.now() >= until) throw new StoreUnavailableError(`another Herald process held the ${name} lock of ${key} for over ${Math.round(waitMs / 1000)} s`);
            await new Promise((r) => setTimeout(r, Math.min(100, 10 * 2 ** Math.min(look, 4))));
          }
          // Renewed a few times per holdMs; a renewal that fails (Redis hiccuped) is tried again at the next tick.
          const renewal = setInterval(() => {
            this.client.eval(RENEW_LOCK, 1, lockKey, token, String(holdMs)).then(
              (held) => {
                if (held === 1) return;
                clearInterval(renewal);
                options.onLost?.(key);
              },
              () => undefined,
            );
          }, Math.max(50, Math.floor(holdMs / 3)));
          renewal.unref();
          try {
            return await section();
          } finally {
            clearInterval(renewal);
            await this.client.eval(RELEASE_LOCK, 1, lockKey, token).catch(() => undefined); // else it expires by itself
          }
        }),
    };
  }

  // ---- gateway IDENTIFY pacing --------------------------------------------------------------------------------

  /**
   * Discord lets a bot's shards IDENTIFY one per bucket (shard id % max_concurrency) per 5 s, counted over all its
   * connections; one too many is answered with Invalid Session. discord.js paces the shards of one process; this
   * paces every gateway process on this Redis: a shard takes its bucket with SET NX for `gapMs`, and one that
   * finds it taken waits out the expiry. With Redis unreachable, a process paces its own shards only.
   */
  identifyThrottler(maxConcurrency: number, options: { gapMs?: number; onWait?: (shardId: number, waitMs: number) => void } = {}): IdentifyThrottler {
    const local = new KeyedLock();
    const buckets = Math.max(1, Math.floor(maxConcurrency) || 1);
    const gapMs = options.gapMs ?? IDENTIFY_GAP_MS;
    const { onWait } = options;
    return {
      waitForIdentify: (shardId, signal) =>
        local.run(String(shardId % buckets), async () => {
          const key = this.key('identify', String(shardId % buckets));
          for (let look = 0; look < IDENTIFY_LOOKS; look++) {
            signal.throwIfAborted();
            let left: number;
            try {
              const taken = await withTimeout(this.client.set(key, String(process.pid), 'PX', gapMs, 'NX'), 5_000, () => 'take an IDENTIFY slot');
              if (taken === 'OK') return;
              left = await withTimeout(this.client.pttl(key), 5_000, () => 'read an IDENTIFY slot');
            } catch {
              await sleep(gapMs, undefined, { signal });
              return;
            }
            const pause = Math.max(25, left) + Math.floor(Math.random() * 250);
            if (look === 0) onWait?.(shardId, pause);
            await sleep(pause, undefined, { signal });
          }
          // outrun that often, go ahead: at worst Discord answers Invalid Session and discord.js tries again
        }),
    };
  }

  // ---- per-channel order ----------------------------------------------------------------------------------------

  /** Puts an alert at the end of its channel's line (a counter orders it); a second call for it changes nothing. */
  async joinChannelLine(channelId: string, outboxKey: string): Promise<void> {
    await this.run('queue an alert in its channel', () => this.client.eval(JOIN_LINE, 2, this.key('line', channelId), `${this.prefix}herald:lineseq`, outboxKey));
  }

  /** The alert's place in its channel's line: 0 is the head (it may be sent), null when it is not in it. */
  async placeInChannelLine(channelId: string, outboxKey: string): Promise<{ place: number | null; head: string | null }> {
    const [place, head] = await this.run('read a channel line', async () => {
      const answers = await this.client.multi().zrank(this.key('line', channelId), outboxKey).zrange(this.key('line', channelId), '0', '0').exec();
      return [answers?.[0]?.[1] as number | null, (answers?.[1]?.[1] as string[] | undefined)?.[0] ?? null] as const;
    });
    return { place, head };
  }

  async leaveChannelLine(channelId: string, outboxKey: string): Promise<void> {
    await this.run('take an alert out of its channel line', () => this.client.zrem(this.key('line', channelId), outboxKey));
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.client.quit(), this.subscriber?.quit()]);
    this.client.disconnect();
    this.subscriber?.disconnect();
  }
}
