// Story keys and posted claims: what makes two alerts "the same story" in a channel, and the atomic claim an alert
// holds on them while it is sent. Real store (memory://).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { claimStory, markPosted, postedMessage, releaseStory } from '../../src/alerts/posted-claims.js';
import { isPendingClaim, pendingClaim, postedKey, storyKeys } from '../../src/alerts/story-keys.js';
import { openStore, type Store } from '../../src/repositories.js';

describe('storyKeys', () => {
  it('keys a story by its link, or its id without one, plus its folded headline when distinctive', () => {
    expect(storyKeys({ id: 'x', link: 'https://a.example/1', title: 'Short' })).toEqual(['link:https://a.example/1']);
    expect(storyKeys({ id: 'x', link: null, title: 'Short' })).toEqual(['id:x']);
    expect(storyKeys({ id: 'x', link: 'https://a.example/1', title: 'Café strikes: Kyiv — braces for WINTER!' })).toEqual([
      'link:https://a.example/1',
      'title:cafe strikes kyiv braces for winter',
    ]);
  });

  it('gives the same headline from two feeds the same title key', () => {
    const a = storyKeys({ id: 'a', link: 'https://wire.example/a', title: 'Drone strikes hit Kyiv overnight' });
    const b = storyKeys({ id: 'b', link: 'https://paper.example/b', title: 'DRONE strikes hit Kyiv, overnight' });
    expect(a[1]).toBe(b[1]);
  });
});

describe('pending claims', () => {
  it('tells a claim from a message id', () => {
    expect(isPendingClaim(pendingClaim('c1|link:x'))).toBe(true);
    expect(isPendingClaim('123456789012345678')).toBe(false);
    expect(postedKey('c1', 'link:x')).toBe('c1|link:x');
  });
});

describe('posted claims', () => {
  let store: Store;
  beforeEach(async () => {
    store = await openStore('memory://');
  });
  afterEach(() => store.close());
  const keys = ['c1|link:x', 'c1|title:a long enough headline here'];

  it('lets one alert claim a story; another alert then finds the holder', async () => {
    expect(await claimStory(store.posted, keys, 'outbox-a')).toBeUndefined();
    expect(await claimStory(store.posted, keys, 'outbox-a')).toBeUndefined(); // its own claim, from an earlier attempt
    expect(await claimStory(store.posted, [keys[1]!], 'outbox-b')).toBe(pendingClaim('outbox-a'));
    expect(await postedMessage(store.posted, keys)).toBe(pendingClaim('outbox-a'));
  });

  it('turns the claims into the message id once posted', async () => {
    await claimStory(store.posted, keys, 'outbox-a');
    await markPosted(store.posted, keys, 'm1');
    for (const key of keys) expect(await store.posted.get(key)).toBe('m1');
    expect(await claimStory(store.posted, keys, 'outbox-b')).toBe('m1');
  });

  it('releases only its own claims', async () => {
    await store.posted.set(keys[1]!, 'm0');
    expect(await claimStory(store.posted, keys, 'outbox-a')).toBe('m0');
    await releaseStory(store.posted, keys, 'outbox-a');
    expect(await store.posted.get(keys[0]!)).toBeUndefined();
    expect(await store.posted.get(keys[1]!)).toBe('m0');
  });
});
