// Discord's nonce rule for message creates: with `enforce_nonce: true`, a message from the same author in the same
// channel with the same nonce, created in the last few minutes, is returned instead of creating a new one. This is
// what makes a resend after a lost answer safe, and only if the resend carries the same nonce.

/** "A few minutes": Discord documents no exact figure; 5 minutes is conservative for tests. */
export const DEFAULT_NONCE_WINDOW_MS = 5 * 60_000;

export class NonceRegistry<T> {
  /** Creates answered with an existing message because of the rule. */
  hits = 0;
  private readonly byKey = new Map<string, { value: T; at: number }>();

  constructor(
    private readonly windowMs = DEFAULT_NONCE_WINDOW_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** The key for a create body, or null when the rule does not apply (no nonce, or enforce_nonce not true). */
  static key(body: { enforce_nonce?: unknown; nonce?: unknown }, authorId: string, channelId: string): string | null {
    if (body.enforce_nonce !== true || body.nonce === undefined || body.nonce === null) return null;
    return `${authorId}|${channelId}|${String(body.nonce)}`;
  }

  /** The message created under this key within the window, if it still counts (`alive` says it was not deleted). */
  find(key: string, alive: (v: T) => boolean = () => true): T | undefined {
    const e = this.byKey.get(key);
    if (!e) return undefined;
    if (this.now() - e.at >= this.windowMs || !alive(e.value)) {
      this.byKey.delete(key);
      return undefined;
    }
    this.hits++;
    return e.value;
  }

  remember(key: string, value: T): void {
    this.byKey.set(key, { value, at: this.now() });
    // keep the map bounded over long soaks: drop expired entries now and then
    if (this.byKey.size % 1000 === 0) {
      const cutoff = this.now() - this.windowMs;
      for (const [k, e] of this.byKey) if (e.at < cutoff) this.byKey.delete(k);
    }
  }
}
