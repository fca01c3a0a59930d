/**
 * A term of a matched alternative, as a structured value: what the alert lists ("Matched") and what highlighting
 * looks for, so neither re-parses a printed query. Only positive terms match, so there is no operator; highlighting
 * bolds the term in every shown text, so the scope is not kept either. The index holds one per term of every
 * alternative, so a phrase keeps only its lookup key (shared with the index) and derives its tokens from it.
 */
import { formatTermText, type Term } from './query.js';

export class PhraseMatch {
  constructor(
    /** canonical text, as `evaluateQuery` lists it (or the story's spelling, from asWritten) */
    readonly text: string,
    /** the normalised tokens joined by one space, `*` after a stem: the index's key for the phrase */
    private readonly key: string,
  ) {}
  get kind(): 'phrase' {
    return 'phrase';
  }
  /** the last word is a stem (`korea*`) */
  get prefix(): boolean {
    return this.key.endsWith('*');
  }
  /** normalised tokens (made on each call) */
  get words(): string[] {
    return (this.prefix ? this.key.slice(0, -1) : this.key).split(' ');
  }
}

export class RegexMatch {
  constructor(
    readonly text: string,
    readonly source: string,
    /** the flags highlighting honours (i, m, s) */
    readonly flags: string,
  ) {}
  get kind(): 'regex' {
    return 'regex';
  }
}

export type MatchedTerm = PhraseMatch | RegexMatch;

/** A flat copy of a string that may be a concatenation (printed terms are built word by word). */
function flatCopy(s: string): string {
  return s.length < 13 ? s : [s.slice(0, 1), s.slice(1)].join('');
}

/** The key of a phrase's tokens: words joined by one space, `*` after a stem. */
export function phraseKeyOf(words: readonly string[], prefix: boolean): string {
  const k = words.join(' ');
  return prefix ? [k, '*'].join('') : k;
}

/** The matched form of a term; `key` may pass the index's own copy of the phrase key, so it is not held twice. */
export function matchedTerm(t: Term, key?: string): MatchedTerm {
  const text = formatTermText(t);
  if (t.kind === 'regex') return new RegexMatch(flatCopy(text), t.source, t.flags.replace(/[^ims]/g, ''));
  const k = key ?? phraseKeyOf(t.words, t.prefix);
  return new PhraseMatch(text === k ? k : flatCopy(text), k);
}

/** A phrase that matches exactly these tokens: a term as the story spells it. */
export function exactPhrase(text: string, words: readonly string[]): MatchedTerm {
  return new PhraseMatch(text, words.join(' '));
}
