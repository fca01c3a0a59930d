/**
 * Query decomposition (Lucene Monitor's QueryDecomposer): a query is an OR of alternatives, and the index holds
 * alternatives, not queries. This module says which alternatives a query has (each distinct one once), how each is
 * keyed, and what it reports when it matches. It knows nothing of postings or items.
 */
import { phraseKeyOf, termRef, type TermRef } from './matched-term.js';
import { formatTermText, type Alternative, type PhraseTerm, type Query, type Term } from './query.js';

/** A string in one piece: keys kept in maps are flat, not trees of concatenations (3–4 objects each). */
export function flat(...parts: string[]): string {
  return parts.join('');
}

/** The key a phrase is looked up under: its tokens joined by one space, `*` after a prefix phrase's stem. */
export function phraseKey(t: PhraseTerm): string {
  return phraseKeyOf(t.words, t.prefix);
}

/** An alternative of one positive phrase: the phrase occurring in a field of its scope is the whole match. */
export function isExact(a: Alternative): boolean {
  return a.terms.length === 1 && a.terms[0]!.kind === 'phrase' && !a.terms[0]!.negated;
}

/** How specific a phrase looks: not a prefix, more words, more letters. */
export function specificity(t: PhraseTerm): number {
  return (t.prefix ? 0 : 1000) + t.words.length * 100 + Math.min(99, t.words.join('').length);
}

/** An injective key of an alternative's structure: equal keys ⇔ the same alternative (same matches and terms). */
function termKey(t: Term): string {
  return t.kind === 'phrase'
    ? flat('p', t.negated ? '-' : '+', t.scope ?? '', t.prefix ? '*' : '', JSON.stringify(t.words))
    : flat('r', t.negated ? '-' : '+', t.scope ?? '', JSON.stringify([t.source, t.flags]));
}

export interface KeyedAlternative {
  /** equal keys ⇔ the same alternative: subscriptions sharing it share one group */
  key: string;
  alternative: Alternative;
}

/** The distinct alternatives of a query, in query order (the same alternative twice adds nothing). */
export function decompose(query: Query): KeyedAlternative[] {
  const alts = query.alternatives;
  if (alts.length === 1) return [{ key: alternativeKey(alts[0]!), alternative: alts[0]! }];
  const seen = new Set<string>();
  const out: KeyedAlternative[] = [];
  for (const alternative of alts) {
    const key = alternativeKey(alternative);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ key, alternative });
  }
  return out;
}

function alternativeKey(a: Alternative): string {
  return a.terms.map(termKey).join('');
}

/**
 * What an alternative reports when it matches: its positive terms, deduped by text, in query order; frozen.
 * `keyOf` gives the index's own copy of a phrase's key, so the terms hold no strings of their own.
 */
export function reportedTerms(a: Alternative, keyOf: (key: string) => string): readonly TermRef[] {
  const out: TermRef[] = [];
  const texts: string[] = [];
  for (const t of a.terms) {
    if (t.negated) continue;
    const text = formatTermText(t);
    if (texts.includes(text)) continue;
    texts.push(text);
    out.push(termRef(t, t.kind === 'phrase' ? keyOf(phraseKey(t)) : ''));
  }
  return Object.freeze(out.slice()); // a copy is exactly as long: a pushed-to array keeps room for 16 more
}
