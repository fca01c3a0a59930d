// Contract checks: every JSON body (or multipart payload_json) the bot sends is validated against the
// zod schemas that `discord-api-spec` generates from Discord's OpenAPI document, plus a few rules the
// real API enforces that the spec does not express. Each function returns human-readable issues;
// an empty array means the body is fine.
//
// The generated schemas use loose objects (unknown keys are stripped, not rejected). That is on purpose:
// discord.js sends keys the spec does not list for a given route (`tts`/`nonce`/`enforce_nonce` on
// webhook edits, `nsfw` on commands...) and Discord ignores them too.
import * as z from 'zod/mini';
import * as spec from 'discord-api-spec/zod';

type Issue = z.core.$ZodIssue;
type Json = Record<string, unknown>;

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function fmtPath(path: readonly PropertyKey[], prefix: readonly PropertyKey[] = []): string {
  const all = [...prefix, ...path];
  return all.length ? all.map(String).join('.') : '(root)';
}

function fmtIssue(i: Issue, prefix: readonly PropertyKey[] = []): string {
  const path = fmtPath(i.path, prefix);
  switch (i.code) {
    case 'too_big':
      return `${path}: too big (maximum ${String(i.maximum)})`;
    case 'too_small':
      return `${path}: too small (minimum ${String(i.minimum)})`;
    case 'invalid_type':
      return `${path}: expected ${i.expected}`;
    case 'invalid_format':
      return `${path}: invalid ${i.format}`;
    case 'invalid_value':
      return `${path}: expected one of ${JSON.stringify(i.values)}`;
    case 'invalid_union': {
      // Report the variant that came closest (fewest issues, ignoring a mismatched `type` literal).
      const variants = i.errors.filter((errs) => !errs.some((e) => e.code === 'invalid_value' && e.path.join('.') === 'type'));
      const best = [...(variants.length ? variants : i.errors)].sort((a, b) => a.length - b.length)[0];
      if (!best || best.length === 0) return `${path}: matches no allowed variant`;
      return best.map((e) => fmtIssue(e, [...prefix, ...i.path])).join('; ');
    }
    default:
      return `${path}: ${i.code} (${i.message})`;
  }
}

function zodIssues(schema: z.ZodMiniType, body: unknown): string[] {
  const r = z.safeParse(schema, body);
  return r.success ? [] : r.error.issues.map((i) => fmtIssue(i));
}

// ---------- normalisation: where the spec is stricter than the real API ----------

/** Embed timestamps: the spec uses `z.iso.datetime()` (UTC `Z` only); Discord accepts any ISO 8601 offset. */
function normaliseEmbeds(embeds: unknown): unknown {
  if (!Array.isArray(embeds)) return embeds;
  return embeds.map((e) => {
    if (!isObj(e) || typeof e.timestamp !== 'string') return e;
    const t = Date.parse(e.timestamp);
    return Number.isNaN(t) ? e : { ...e, timestamp: new Date(t).toISOString() };
  });
}

function normaliseMessage(body: unknown): unknown {
  if (!isObj(body)) return body;
  return 'embeds' in body ? { ...body, embeds: normaliseEmbeds(body.embeds) } : body;
}

/** `default_member_permissions`: the spec says integer; the real API (and discord.js) use a numeric string. */
function normaliseCommand(body: unknown): unknown {
  if (!isObj(body)) return body;
  const p = body.default_member_permissions;
  if (typeof p === 'string' && /^\d+$/.test(p)) return { ...body, default_member_permissions: Number(p) };
  return body;
}

// ---------- extra rules: where the spec is looser than the real API ----------

const MAX_CONTENT = 2000; // the spec allows 4000 for message create/edit: that is the Nitro *user* limit, bots get 2000

function embedTextLength(e: Json): number {
  let n = 0;
  const s = (v: unknown) => (typeof v === 'string' ? v.length : 0);
  n += s(e.title) + s(e.description);
  if (isObj(e.footer)) n += s(e.footer.text);
  if (isObj(e.author)) n += s(e.author.name);
  if (Array.isArray(e.fields)) for (const f of e.fields) if (isObj(f)) n += s(f.name) + s(f.value);
  return n;
}

function checkUrl(path: string, v: unknown, allowAttachment: boolean): string[] {
  if (typeof v !== 'string') return [];
  // The spec's z.url() accepts any scheme; Discord answers "Not a well formed URL" for anything but http(s)
  // (and attachment:// for images).
  if (/^https?:\/\/[^\s]+$/i.test(v)) return [];
  if (allowAttachment && /^attachment:\/\/[^\s/]+$/i.test(v)) return [];
  return [`${path}: not a well formed URL for Discord (${JSON.stringify(v.slice(0, 80))})`];
}

function extraMessageChecks(body: unknown, opts: { requireSomething: boolean; hasFiles: boolean }): string[] {
  if (!isObj(body)) return [];
  const out: string[] = [];
  if (typeof body.content === 'string' && body.content.length > MAX_CONTENT) {
    out.push(`content: too big (${body.content.length} > ${MAX_CONTENT} characters)`);
  }
  const embeds = Array.isArray(body.embeds) ? body.embeds.filter(isObj) : [];
  const total = embeds.reduce((n, e) => n + embedTextLength(e), 0);
  if (total > 6000) out.push(`embeds: total text ${total} > 6000 characters`);
  embeds.forEach((e, i) => {
    const p = `embeds.${i}`;
    out.push(...checkUrl(`${p}.url`, e.url, false));
    if (isObj(e.author)) out.push(...checkUrl(`${p}.author.url`, e.author.url, false), ...checkUrl(`${p}.author.icon_url`, e.author.icon_url, true));
    if (isObj(e.footer)) out.push(...checkUrl(`${p}.footer.icon_url`, e.footer.icon_url, true));
    if (isObj(e.image)) out.push(...checkUrl(`${p}.image.url`, e.image.url, true));
    if (isObj(e.thumbnail)) out.push(...checkUrl(`${p}.thumbnail.url`, e.thumbnail.url, true));
    if (Array.isArray(e.fields)) {
      e.fields.forEach((f, j) => {
        // Discord rejects empty field names/values ("Must be 1 or more in length"); the spec allows them.
        if (isObj(f) && (f.name === '' || f.value === '')) out.push(`${p}.fields.${j}: name and value must be non-empty`);
      });
    }
  });
  if (opts.requireSomething) {
    const has =
      (typeof body.content === 'string' && body.content.length > 0) ||
      embeds.length > 0 ||
      (Array.isArray(body.sticker_ids) && body.sticker_ids.length > 0) ||
      (Array.isArray(body.components) && body.components.length > 0) ||
      isObj(body.poll) ||
      opts.hasFiles;
    if (!has) out.push('(root): cannot send an empty message (Discord error 50006)');
  }
  return out;
}

// Chat-input command and option names: 1-32 chars, lowercase, no spaces (the spec only checks length).
const NAME_RE = /^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;

function extraCommandChecks(body: unknown, where: string): string[] {
  if (!isObj(body)) return [];
  const out: string[] = [];
  const type = body.type ?? 1;
  if (type !== 1) return out;
  const checkName = (p: string, n: unknown) => {
    if (typeof n !== 'string') return;
    if (!NAME_RE.test(n) || n !== n.toLowerCase()) out.push(`${p}.name: ${JSON.stringify(n)} is not a valid lowercase chat-input name`);
  };
  const checkDesc = (p: string, d: unknown) => {
    // The spec makes the top-level description nullish; chat-input commands need 1-100 characters.
    if (typeof d !== 'string' || d.length < 1 || d.length > 100) out.push(`${p}.description: required, 1-100 characters`);
  };
  checkName(where, body.name);
  checkDesc(where, body.description);
  const walk = (opts: unknown, p: string) => {
    if (!Array.isArray(opts)) return;
    let seenOptional = false;
    opts.forEach((o, i) => {
      if (!isObj(o)) return;
      const op = `${p}.options.${i}`;
      checkName(op, o.name);
      checkDesc(op, o.description);
      if (o.type === 1 || o.type === 2) {
        walk(o.options, op);
        return;
      }
      if (o.required === true && seenOptional) out.push(`${op}: required options must be placed before non-required options`);
      if (o.required !== true) seenOptional = true;
      if (o.autocomplete === true && Array.isArray(o.choices) && o.choices.length > 0) {
        out.push(`${op}: autocomplete may not be set on an option with choices`);
      }
    });
  };
  walk(body.options, where);
  return out;
}

// ---------- per-route validators ----------

export function checkMessageCreate(body: unknown, hasFiles: boolean): string[] {
  const b = normaliseMessage(body);
  return [...zodIssues(spec.MessageCreateRequestSchema, b), ...extraMessageChecks(b, { requireSomething: true, hasFiles })];
}

export function checkMessageEdit(body: unknown): string[] {
  const b = normaliseMessage(body);
  return [...zodIssues(spec.MessageEditRequestPartialSchema, b), ...extraMessageChecks(b, { requireSomething: false, hasFiles: false })];
}

export function checkCommandCreate(body: unknown): string[] {
  return [...zodIssues(spec.ApplicationCommandCreateRequestSchema, normaliseCommand(body)), ...extraCommandChecks(body, '(root)')];
}

export function checkCommandPatch(body: unknown): string[] {
  return zodIssues(spec.ApplicationCommandPatchRequestPartialSchema, normaliseCommand(body));
}

export function checkCommandsBulk(body: unknown): string[] {
  if (!Array.isArray(body)) return ['(root): expected an array of commands'];
  const out: string[] = [];
  if (body.length > 130) out.push('(root): too many commands (max 130)');
  body.forEach((c, i) => {
    out.push(...zodIssues(spec.ApplicationCommandUpdateRequestSchema, normaliseCommand(c)).map((s) => `${i}.${s}`));
    out.push(...extraCommandChecks(c, String(i)));
  });
  const names = body.filter(isObj).map((c) => `${String(c.type ?? 1)}:${String(c.name)}`);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) out.push(`(root): duplicate command name ${dup.split(':')[1]}`);
  return out;
}

export function checkInteractionCallback(body: unknown, hasFiles: boolean): string[] {
  if (!isObj(body)) return ['(root): expected an object'];
  switch (body.type) {
    case 1:
      return zodIssues(spec.PongInteractionCallbackRequestSchema, body);
    case 4:
    case 5: {
      const data = isObj(body.data) ? normaliseMessage(body.data) : body.data;
      return [
        ...zodIssues(spec.CreateMessageInteractionCallbackRequestSchema, { ...body, data }),
        ...extraMessageChecks(data, { requireSomething: body.type === 4, hasFiles }).map((s) => `data.${s}`),
      ];
    }
    case 6:
    case 7:
      return zodIssues(spec.UpdateMessageInteractionCallbackRequestSchema, body);
    case 8:
      return zodIssues(spec.ApplicationCommandAutocompleteCallbackRequestSchema, body);
    case 9:
      return zodIssues(spec.ModalInteractionCallbackRequestSchema, body);
    default:
      return [`type: unknown interaction callback type ${JSON.stringify(body.type)}`];
  }
}

export function checkWebhookExecute(body: unknown, hasFiles: boolean): string[] {
  const b = normaliseMessage(body);
  return [...zodIssues(spec.IncomingWebhookRequestPartialSchema, b), ...extraMessageChecks(b, { requireSomething: true, hasFiles })];
}

export function checkWebhookEdit(body: unknown): string[] {
  const b = normaliseMessage(body);
  return [...zodIssues(spec.IncomingWebhookUpdateRequestPartialSchema, b), ...extraMessageChecks(b, { requireSomething: false, hasFiles: false })];
}
