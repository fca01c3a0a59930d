/**
 * A term of a matched alternative, as a structured value: what the alert lists ("Matched") and what highlighting
 * looks for, so neither re-parses a printed query. Only positive terms match, so there is no operator; highlighting
 * bolds the term in every shown text, so the scope is not kept either.
 *
 * The index keeps each alternative's terms as TermRefs (a phrase is its lookup key, the very string the index holds,
 * so terms cost no memory of their own) and makes the MatchedTerms of an alternative the first time it matches.
 */
import { joinTokens } from './normalise.js';
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

/** A term as the index keeps it: a phrase's key (pass the index's own copy) or a regex. */
export type TermRef = string | RegexMatch;

export function termRef(t: Term, key: string): TermRef {
  return t.kind === 'regex' ? new RegexMatch(flatCopy(formatTermText(t)), t.source, t.flags.replace(/[^ims]/g, '')) : key;
}

/** The matched form of a kept term; its text is the canonical one (formatTermText). */
export function resolveTerm(ref: TermRef): MatchedTerm {
  if (typeof ref !== 'string') return ref;
  const prefix = ref.endsWith('*');
  const words = (prefix ? ref.slice(0, -1) : ref).split(' ');
  const text = joinTokens(words) + (prefix ? '*' : '');
  return new PhraseMatch(text === ref ? ref : flatCopy(text), ref);
}

/** The matched form of a term, straight from the query. */
export function matchedTerm(t: Term): MatchedTerm {
  return resolveTerm(termRef(t, t.kind === 'phrase' ? phraseKeyOf(t.words, t.prefix) : ''));
}

/** A phrase that matches exactly these tokens: a term as the story spells it. */
export function exactPhrase(text: string, words: readonly string[]): MatchedTerm {
  return new PhraseMatch(text, words.join(' '));
}
