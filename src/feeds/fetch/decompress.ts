// Response bodies: Content-Encoding (gzip, br, deflate raw or wrapped) decoded under a byte cap.
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';

/** The body passed the byte cap (as received or as decoded). */
export class TooLarge extends Error {}

/**
 * Reads a response body through its Content-Encoding decoders, stopping at `maxBytes` both as received and as
 * decoded (a compression bomb stops early). Throws TooLarge past the cap.
 */
export async function readCappedBody(body: Readable, encoding: string | null, signal: AbortSignal, maxBytes: number): Promise<Buffer> {
  const codings = (encoding ?? '')
    .toLowerCase()
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c && c !== 'identity');
  const decoders: Transform[] = [];
  for (const c of codings.reverse()) {
    const d = decoderFor(c);
    if (!d) throw new Error(`unsupported content encoding ${c}`);
    decoders.push(d);
  }
  // Either counter tripping sets `overCap`: pipeline may surface a secondary error (an AbortError from
  // tearing down the other streams) rather than ours, so the flag is what decides.
  let overCap = false;
  let raw = 0;
  const rawCounter = new Transform({
    transform(chunk: Buffer, _e, cb) {
      raw += chunk.length;
      if (raw > maxBytes) {
        overCap = true;
        cb(new TooLarge());
      } else cb(null, chunk);
    },
  });
  const chunks: Buffer[] = [];
  let total = 0;
  const sink = async (source: AsyncIterable<Buffer>): Promise<void> => {
    for await (const chunk of source) {
      total += chunk.length;
      if (total > maxBytes) {
        overCap = true;
        throw new TooLarge();
      }
      chunks.push(chunk);
    }
  };
  try {
    await (pipeline as (...args: unknown[]) => Promise<void>)(body, rawCounter, ...decoders, sink, { signal });
  } catch (e) {
    if (overCap && !signal.aborted) throw new TooLarge();
    throw e;
  }
  return Buffer.concat(chunks, total);
}

function decoderFor(coding: string): Transform | null {
  switch (coding) {
    case 'gzip':
    case 'x-gzip':
      return zlib.createGunzip();
    case 'br':
      return zlib.createBrotliDecompress();
    case 'deflate':
      return inflateAuto();
    default:
      return null;
  }
}

/** "deflate" is meant to be zlib-wrapped, but some servers send raw deflate; sniff the first byte. */
function inflateAuto(): Transform {
  let inner: zlib.Inflate | zlib.InflateRaw | null = null;
  const out = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      if (!inner) {
        // zlib header: CMF low nibble 8 (deflate) and (CMF*256+FLG) % 31 == 0
        const b0 = chunk[0] ?? 0;
        const b1 = chunk[1] ?? 0;
        const zlibWrapped = (b0 & 0x0f) === 8 && ((b0 << 8) | b1) % 31 === 0;
        inner = zlibWrapped ? zlib.createInflate() : zlib.createInflateRaw();
        inner.on('data', (d: Buffer) => out.push(d));
        inner.on('error', (e) => out.destroy(e));
      }
      if (inner.write(chunk)) cb();
      else inner.once('drain', () => cb());
    },
    flush(cb) {
      if (!inner) return cb();
      inner.once('end', () => cb());
      inner.end();
    },
    destroy(err, cb) {
      inner?.destroy();
      cb(err);
    },
  });
  return out;
}
