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
