import { UserFacingError } from '../errors.js';

/** STORE_URL names a store Herald cannot use (wrong scheme, missing path). */
export class StoreConfigError extends Error {
  override name = 'StoreConfigError';
}

/** What a member is told when a command needs the store and the store is down. */
export const STORE_UNAVAILABLE_REPLY = "Herald's storage is unavailable right now, so nothing was changed. Try again in a minute or two.";

/**
 * The store could not be read or written (server down, timeout, refused write). The message is for the operator
 * (it names the store, credentials removed); `userMessage` is what a member is told.
 */
export class StoreUnavailableError extends UserFacingError {
  override name = 'StoreUnavailableError';
  override get userMessage(): string {
    return STORE_UNAVAILABLE_REPLY;
  }
  override get failedOnOurSide(): boolean {
    return true;
  }
}

export function errorText(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length) return errorText(error.errors[0]);
  const text = error instanceof Error ? error.message || error.name : String(error);
  return text.replace(/\/\/[^@/\s]*@/g, '//***@');
}

/** Rejects with a StoreUnavailableError when `promise` has not settled within `ms` (the operation may still finish). */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StoreUnavailableError(`${what()}: no answer within ${Math.round(ms / 1000)} s`)), ms);
    timer.unref?.();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
