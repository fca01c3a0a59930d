/**
 * The one error type the interaction router knows. Domains (feeds, match, store, discord checks) throw it or a
 * subclass, so a reply to the member never needs to know which module refused.
 */
export class UserFacingError extends Error {
  override name = 'UserFacingError';
  /** What the member is told. The message itself, unless the message is written for the operator (see subclasses). */
  get userMessage(): string {
    return this.message;
  }
  /**
   * True when Herald's side failed (logged as an error for the operator); false when the member's request was
   * refused for a reason they can fix (logged as info).
   */
  get failedOnOurSide(): boolean {
    return false;
  }
}

/** What a member is told about `error`, or null when it is not one they can act on (an internal failure). */
export function userMessageOf(error: unknown): string | null {
  return error instanceof UserFacingError ? error.userMessage : null;
}
