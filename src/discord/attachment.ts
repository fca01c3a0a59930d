import type { Attachment } from 'discord.js';
import { UserFacingError } from '../errors.js';

export interface DownloadLimits {
  maxBytes: number;
  timeoutMs: number;
}

/**
 * Reads a Discord attachment (Discord's CDN, not a feed: no feed address guard), up to `maxBytes`, within
 * `timeoutMs`. Failures are UserFacingErrors saying what to do next.
 */
export async function downloadAttachment(attachment: Pick<Attachment, 'name' | 'size' | 'url'>, { maxBytes, timeoutMs }: DownloadLimits): Promise<Buffer> {
  const tooBig = () => new UserFacingError(`${attachment.name} is larger than ${maxBytes / 1024 / 1024} MB. Split the OPML file and import the parts.`);
  if (attachment.size > maxBytes) throw tooBig();
  let response: Response;
  try {
    response = await fetch(attachment.url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch {
    throw new UserFacingError(`Couldn't download ${attachment.name} from Discord. Try the import again in a minute.`);
  }
  if (!response.ok || !response.body) throw new UserFacingError(`Couldn't download ${attachment.name} from Discord (HTTP ${response.status}). Try the import again.`);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    total += chunk.byteLength;
    if (total > maxBytes) {
      await response.body.cancel().catch(() => undefined);
      throw tooBig();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}
