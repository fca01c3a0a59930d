import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import { PermissionFlagsBits } from 'discord-api-types/v10';

const DISCORD_EPOCH = 1420070400000n;
let increment = 0n;

/** A real-looking snowflake (timestamp-based, so discord.js's createdTimestamp is sane). */
export function snowflake(): string {
  increment = (increment + 1n) & 0xfffn;
  return (((BigInt(Date.now()) - DISCORD_EPOCH) << 22n) | (1n << 17n) | increment).toString();
}

export const ALL_PERMISSIONS: bigint = Object.values(PermissionFlagsBits).reduce((a, b) => a | b, 0n);

export function effectivePermissions(bits: bigint): bigint {
  return (bits & PermissionFlagsBits.Administrator) !== 0n ? ALL_PERMISSIONS : bits;
}

export function bucketHash(key: string): string {
  return createHash('sha1').update(key).digest('hex').slice(0, 16);
}

export interface UploadedFile {
  field: string;
  filename: string;
  contentType: string;
  data: Buffer;
}

export interface ParsedBody {
  raw: Buffer;
  /** JSON body, or the parsed `payload_json` of a multipart body; undefined when there is none. */
  json: unknown;
  files: UploadedFile[];
  multipart: boolean;
  /** Problems with the encoding itself (bad JSON, multipart without payload_json...). */
  errors: string[];
}

export async function readBody(req: IncomingMessage): Promise<ParsedBody> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const raw = Buffer.concat(chunks);
  const ct = req.headers['content-type'] ?? '';
  const out: ParsedBody = { raw, json: undefined, files: [], multipart: false, errors: [] };
  if (raw.length === 0) return out;
  if (ct.startsWith('application/json')) {
    try {
      out.json = JSON.parse(raw.toString('utf8'));
    } catch (e) {
      out.errors.push(`body is not valid JSON: ${(e as Error).message}`);
    }
  } else if (ct.startsWith('multipart/form-data')) {
    out.multipart = true;
    try {
      // undici (Node's fetch) parses multipart for us.
      const form = await new Response(raw, { headers: { 'content-type': ct } }).formData();
      for (const [field, value] of form.entries()) {
        if (typeof value === 'string') {
          if (field === 'payload_json') out.json = JSON.parse(value);
          else out.errors.push(`unexpected multipart text field ${JSON.stringify(field)}`);
        } else {
          out.files.push({
            field,
            filename: value.name,
            contentType: value.type || 'application/octet-stream',
            data: Buffer.from(await value.arrayBuffer()),
          });
        }
      }
    } catch (e) {
      out.errors.push(`multipart body could not be parsed: ${(e as Error).message}`);
    }
  } else {
    out.errors.push(`unexpected content-type ${JSON.stringify(ct)} with a ${raw.length}-byte body`);
  }
  return out;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** callbacks to run once the answer has been written */
  after?: (() => void)[];
  /** raw bytes instead of JSON (attachments) */
  raw?: { data: Buffer; contentType: string };
  /** injected fault: the request was handled but the answer is lost (the connection is dropped instead) */
  lost?: 'close' | 'reset';
  /** injected fault: the request was handled; the answer is written this many ms later */
  lateMs?: number;
}

export function writeReply(res: ServerResponse, reply: Reply): void {
  const headers: Record<string, string> = { ...reply.headers };
  if (reply.raw) {
    headers['content-type'] = reply.raw.contentType;
    headers['content-length'] = String(reply.raw.data.length);
    res.writeHead(reply.status, headers);
    res.end(reply.raw.data);
    return;
  }
  if (reply.status === 204 || reply.body === undefined) {
    // NOTES pitfall 1: a 204 must not claim application/json.
    res.writeHead(reply.status, headers);
    res.end();
    return;
  }
  const text = JSON.stringify(reply.body);
  headers['content-type'] = 'application/json';
  headers['content-length'] = String(Buffer.byteLength(text));
  res.writeHead(reply.status, headers);
  res.end(text);
}

export const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function errorBody(code: number, message: string, errors?: unknown): Record<string, unknown> {
  return errors === undefined ? { code, message } : { code, message, errors };
}
