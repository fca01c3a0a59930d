// An alert embed drawn in a terminal, for `herald check --render`: what a channel would see, without Discord. Pure.
import type { APIEmbed } from 'discord.js';

export interface RenderOptions {
  /** Draw bold with ANSI escapes (a terminal); otherwise keep Discord's `**bold**` markers visible. */
  ansi: boolean;
  /** Rule width. */
  width?: number;
}

const BOLD_ON = '\u001b[1m';
const BOLD_OFF = '\u001b[22m';
const DIM_ON = '\u001b[2m';

/** C0/C1 controls (ESC, CSI…) never reach the terminal from feed text, whatever the embed holds. */
function safe(text: string): string {
  return text.replace(/[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g, '');
}

/**
 * Discord markdown as a reader sees it: `\*` shows `*`, `**x**` is bold. The embed only ever holds escaped feed text
 * and Herald's own `**` (see buildAlertEmbed), so these two rules are all there is to draw.
 */
export function markdownToTerminal(markdown: string, options: Pick<RenderOptions, 'ansi'>): string {
  const text = safe(markdown);
  let out = '';
  let bold = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) {
      out += text[++i];
    } else if (c === '*' && text[i + 1] === '*') {
      bold = !bold;
      out += options.ansi ? (bold ? BOLD_ON : BOLD_OFF) : '**';
      i++;
    } else {
      out += c;
    }
  }
  if (bold && options.ansi) out += BOLD_OFF;
  return out;
}

/** The embed as terminal lines: author, title, link, summary, fields, image, footer and time. */
export function renderAlertEmbed(embed: APIEmbed, options: RenderOptions): string[] {
  const md = (s: string): string => markdownToTerminal(s, options);
  const dim = (s: string): string => (options.ansi ? `${DIM_ON}${s}${BOLD_OFF}` : s);
  const lines: string[] = [];
  if (embed.author?.name) lines.push(dim(safe(embed.author.name) + (embed.author.url ? ` <${safe(embed.author.url)}>` : '')));
  lines.push(options.ansi ? `${BOLD_ON}${md(embed.title ?? '')}${BOLD_OFF}` : md(embed.title ?? ''));
  if (embed.url) lines.push(safe(embed.url));
  if (embed.description) lines.push('', ...md(embed.description).split('\n'));
  else lines.push('', dim('(no summary)'));
  if (embed.fields?.length) {
    lines.push('');
    for (const field of embed.fields) lines.push(`${md(field.name)}: ${md(field.value)}`);
  }
  if (embed.thumbnail?.url) lines.push(`image: ${safe(embed.thumbnail.url)}`);
  if (embed.image?.url) lines.push(`image: ${safe(embed.image.url)}`);
  const footer = [embed.footer?.text ? safe(embed.footer.text) : '', embed.timestamp ? safe(embed.timestamp) : ''].filter(Boolean).join(' · ');
  if (footer) lines.push(dim(footer));
  return lines;
}
