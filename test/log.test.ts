import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { chooseLogFormat, createLogger } from '../src/log.js';

function sink() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

describe('log format', () => {
  it('is readable on a terminal and JSON otherwise, unless LOG_FORMAT says which', () => {
    expect(chooseLogFormat(undefined, true)).toBe('pretty');
    expect(chooseLogFormat(undefined, false)).toBe('json');
    expect(chooseLogFormat(undefined, undefined)).toBe('json');
    expect(chooseLogFormat('json', true)).toBe('json');
    expect(chooseLogFormat('pretty', false)).toBe('pretty');
  });

  it('writes one JSON object per line in json, and a plain line with the fields in pretty, never the token', async () => {
    const json = sink();
    createLogger('info', json.stream, 'json').info({ event: 'feed.failed', feed: 'https://a.example/rss', token: 'sekrit' }, 'feed failed');
    const line = JSON.parse(json.text().trim());
    expect(line).toMatchObject({ event: 'feed.failed', feed: 'https://a.example/rss', msg: 'feed failed', token: '[redacted]' });

    const pretty = sink();
    createLogger('info', pretty.stream, 'pretty').info({ event: 'feed.failed', feed: 'https://a.example/rss', token: 'sekrit' }, 'feed failed');
    const text = pretty.text();
    expect(() => JSON.parse(text)).toThrow();
    expect(text).toContain('INFO');
    expect(text).toContain('feed failed');
    expect(text).toContain('https://a.example/rss');
    expect(text).not.toContain('sekrit');
  });
});
