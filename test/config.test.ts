import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config/config.js';

describe('loadConfig', () => {
  it('explains what to do when there is no token, without a stack trace', () => {
    expect(() => loadConfig({})).toThrow(ConfigError);
    expect(() => loadConfig({})).toThrow(/DISCORD_TOKEN/);
    expect(() => loadConfig({ DISCORD_TOKEN: '   ' })).toThrow(/discord\.com\/developers/);
  });

  it('applies defaults', () => {
    const c = loadConfig({ DISCORD_TOKEN: 't0ken' });
    expect(c).toMatchObject({
      storeUrl: 'sqlite://data/herald.sqlite',
      pollCron: '*/2 * * * *',
      defaultFeeds: [],
      allowPrivateAddresses: false,
      guildId: undefined,
      discordApiUrl: 'https://discord.com/api',
    });
  });

  it('names every bad variable and hides the token', () => {
    try {
      loadConfig({ DISCORD_TOKEN: 'secret-token', POLL_CRON: 'every minute', DEFAULT_FEEDS: 'ftp://x', GUILD_ID: 'abc', ALLOW_PRIVATE_ADDRESSES: 'maybe' });
      expect.unreachable();
    } catch (error) {
      const message = (error as Error).message;
      for (const name of ['POLL_CRON', 'DEFAULT_FEEDS', 'GUILD_ID', 'ALLOW_PRIVATE_ADDRESSES']) expect(message).toContain(name);
      expect(message).not.toContain('secret-token');
    }
  });

  it('parses lists, booleans and seconds-level cron', () => {
    const c = loadConfig({
      DISCORD_TOKEN: 't', DEFAULT_FEEDS: 'https://a.example/rss, https://b.example/atom', ALLOW_PRIVATE_ADDRESSES: 'true',
      POLL_CRON: '*/2 * * * * *', DISCORD_API_URL: 'http://127.0.0.1:9/api/', GUILD_ID: '123456789012345678',
    });
    expect(c.defaultFeeds).toEqual(['https://a.example/rss', 'https://b.example/atom']);
    expect(c.allowPrivateAddresses).toBe(true);
    expect(c.discordApiUrl).toBe('http://127.0.0.1:9/api');
    expect(c.guildId).toBe('123456789012345678');
  });

  it('fetches article pages unless FETCH_ARTICLES is false', () => {
    expect(loadConfig({ DISCORD_TOKEN: 't' }).fetchArticles).toBe(true);
    expect(loadConfig({ DISCORD_TOKEN: 't', FETCH_ARTICLES: 'false' }).fetchArticles).toBe(false);
    expect(loadConfig({ DISCORD_TOKEN: 't', FETCH_ARTICLES: '0' }).fetchArticles).toBe(false);
    expect(() => loadConfig({ DISCORD_TOKEN: 't', FETCH_ARTICLES: 'sometimes' })).toThrow(/FETCH_ARTICLES/);
  });

  it('bounds regular expressions per server (MAX_REGEX_PER_GUILD, default 10)', () => {
    expect(loadConfig({ DISCORD_TOKEN: 't' }).limits.regexPerGuild).toBe(10);
    expect(loadConfig({ DISCORD_TOKEN: 't', MAX_REGEX_PER_GUILD: '3' }).limits.regexPerGuild).toBe(3);
    expect(loadConfig({ DISCORD_TOKEN: 't', MAX_REGEX_PER_GUILD: '0' }).limits.regexPerGuild).toBe(0);
    expect(() => loadConfig({ DISCORD_TOKEN: 't', MAX_REGEX_PER_GUILD: 'many' })).toThrow(/MAX_REGEX_PER_GUILD/);
  });

  it('folds the same story from other outlets for DUPLICATE_WINDOW_HOURS (default 24, 0 turns it off)', () => {
    expect(loadConfig({ DISCORD_TOKEN: 't' }).duplicateWindowHours).toBe(24);
    expect(loadConfig({ DISCORD_TOKEN: 't', DUPLICATE_WINDOW_HOURS: '0' }).duplicateWindowHours).toBe(0);
    expect(loadConfig({ DISCORD_TOKEN: 't', DUPLICATE_WINDOW_HOURS: '1.5' }).duplicateWindowHours).toBe(1.5);
    expect(() => loadConfig({ DISCORD_TOKEN: 't', DUPLICATE_WINDOW_HOURS: '-1' })).toThrow(/DUPLICATE_WINDOW_HOURS/);
    expect(() => loadConfig({ DISCORD_TOKEN: 't', DUPLICATE_WINDOW_HOURS: 'a day' })).toThrow(/DUPLICATE_WINDOW_HOURS/);
  });

  it('serves metrics only when METRICS_PORT is set, on loopback unless METRICS_HOST says otherwise', () => {
    expect(loadConfig({ DISCORD_TOKEN: 't' }).metrics).toBeNull();
    expect(loadConfig({ DISCORD_TOKEN: 't', METRICS_PORT: '9464' }).metrics).toEqual({ port: 9464, host: '127.0.0.1' });
    expect(loadConfig({ DISCORD_TOKEN: 't', METRICS_PORT: '9464', METRICS_HOST: '0.0.0.0' }).metrics).toEqual({ port: 9464, host: '0.0.0.0' });
    expect(() => loadConfig({ DISCORD_TOKEN: 't', METRICS_PORT: '70000' })).toThrow(/METRICS_PORT/);
    expect(() => loadConfig({ DISCORD_TOKEN: 't', METRICS_PORT: 'nine' })).toThrow(/METRICS_PORT/);
  });

  it('takes LOG_FORMAT json or pretty, and leaves the choice to the terminal when unset', () => {
    expect(loadConfig({ DISCORD_TOKEN: 't' }).logFormat).toBeUndefined();
    expect(loadConfig({ DISCORD_TOKEN: 't', LOG_FORMAT: 'pretty' }).logFormat).toBe('pretty');
    expect(() => loadConfig({ DISCORD_TOKEN: 't', LOG_FORMAT: 'xml' })).toThrow(/LOG_FORMAT/);
  });
});

describe('scale-out settings', () => {
  it('defaults to one process doing everything, with rating reactions and a budget under Discord’s limit', () => {
    expect(loadConfig({ DISCORD_TOKEN: 't' })).toMatchObject({ role: 'all', sharding: null, ratingReactions: true, discordRequestsPerSecond: 40 });
  });

  it('gateways and workers need Redis, and say so', () => {
    expect(() => loadConfig({ DISCORD_TOKEN: 't', HERALD_ROLE: 'worker' })).toThrow(/HERALD_ROLE=worker .*through Redis.*STORE_URL=redis:\/\//);
    expect(() => loadConfig({ DISCORD_TOKEN: 't', HERALD_ROLE: 'gateway', STORE_URL: 'postgresql://u:pw@db/herald' })).toThrow(/postgresql:\/\/\*\*\*@db\/herald/);
    expect(loadConfig({ DISCORD_TOKEN: 't', HERALD_ROLE: 'worker', STORE_URL: 'redis://127.0.0.1:6379' }).role).toBe('worker');
    expect(() => loadConfig({ DISCORD_TOKEN: 't', HERALD_ROLE: 'boss' })).toThrow(/HERALD_ROLE: must be all, gateway or worker/);
  });

  it('reads discord.js shard settings and refuses ones that cannot work', () => {
    const redis = { DISCORD_TOKEN: 't', HERALD_ROLE: 'gateway', STORE_URL: 'redis://r' };
    expect(loadConfig({ ...redis, SHARDS: '2, 3', SHARD_COUNT: '4' }).sharding).toEqual({ shards: [2, 3], shardCount: 4 });
    expect(loadConfig({ ...redis, SHARD_COUNT: '2' }).sharding).toEqual({ shards: [0, 1], shardCount: 2 });
    expect(loadConfig({ ...redis, SHARDS: 'auto' }).sharding).toEqual({ shards: 'auto', shardCount: undefined });
    expect(() => loadConfig({ ...redis, SHARDS: '4', SHARD_COUNT: '4' })).toThrow(/SHARDS lists shard 4, but SHARD_COUNT=4 numbers shards 0 to 3/);
    expect(() => loadConfig({ ...redis, SHARDS: '0,1' })).toThrow(/SHARDS needs SHARD_COUNT/);
    expect(() => loadConfig({ ...redis, HERALD_ROLE: 'worker', SHARDS: '0', SHARD_COUNT: '1' })).toThrow(/worker has no gateway/);
    expect(() => loadConfig({ ...redis, DISCORD_REQUESTS_PER_SECOND: '45' })).toThrow(/at most 44/);
  });
});
