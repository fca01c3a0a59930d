/** The default byte cap on a feed body, as received and after any decompression (MAX_FEED_BYTES). */
export const DEFAULT_MAX_FEED_BYTES = 5 * 1024 * 1024;

/** "5 MB", "120 KB", "300 bytes": for messages. */
export function formatBytes(n: number): string {
  const mib = 1024 * 1024;
  if (n >= mib) return `${Math.round((n / mib) * 10) / 10} MB`;
  if (n >= 1024) return `${Math.round(n / 1024)} KB`;
  return `${n} bytes`;
}
