/**
 * A term of a matched alternative, as a structured value: what the alert lists ("Matched") and what highlighting
 * looks for, so neither re-parses a printed query. Only positive terms match, so there is no operator; highlighting
 * bolds the term in every shown text, so the scope is not kept either.
 */
import { formatTermText, type Term } from './query.js';

export type MatchedTerm =
  | {
      readonly kind: 'phrase';
      /** canonical text, as `evaluateQuery` lists it */
      readonly text: string;
      /** normalised tokens */
      readonly words: readonly string[];
      /** the last word is a stem (`korea*`) */
      readonly prefix: boolean;
    }
  | {
      readonly kind: 'regex';
      readonly text: string;
      readonly source: string;
      /** the flags highlighting honours (i, m, s) */
      readonly flags: string;
    };

/** A flat copy of a string that may be a concatenation (printed terms are built word by word). */
function flatCopy(s: string): string {
  return s.length < 13 ? s : [s.slice(0, 1), s.slice(1)].join('');
}

export function matchedTerm(t: Term): MatchedTerm {
  const text = flatCopy(formatTermText(t));
  return Object.freeze(
    t.kind === 'phrase'
      ? { kind: 'phrase' as const, text, words: t.words, prefix: t.prefix }
      : { kind: 'regex' as const, text, source: t.source, flags: t.flags.replace(/[^ims]/g, '') },
  );
}

/** A phrase that matches exactly these words: a term as the story spells it. */
export function exactPhrase(text: string, words: readonly string[]): MatchedTerm {
  return { kind: 'phrase', text, words, prefix: false };
}
