/**
 * The candidate matcher (Lucene Monitor's CandidateMatcher): confirms an alternative the presearcher found by one of
 * its phrases. Its other terms are compiled into a flat check list when the alternative is indexed: phrases first
 * (integer tests on the stamps the probe left on their nodes), exclusions next, regexes last (run by the one regex
 * runner, once per pattern per item however many alternatives hold it).
 */
import { ALL_FIELDS, scopeMask, termFields, type PreparedItem } from './evaluate.js';
import { phraseKey } from './decompose.js';
import type { KeyNode, Presearcher } from './presearch.js';
import type { Alternative, PhraseTerm, RegexTerm, Term } from './query.js';

/** Check flags, above the scope's field bits. */
const MUST_BE_ABSENT = 32;
const IS_REGEX = 64;

/** Pairs of (a phrase's node, or a regex term) and a code: the term's scope bits plus MUST_BE_ABSENT and IS_REGEX. */
export type CheckList = Array<KeyNode | RegexTerm | number>;

/** Compiles the checks of a non-exact alternative: its terms but the posted one; the presearcher watches their keys. */
export function compileChecks(a: Alternative, posted: PhraseTerm | undefined, presearcher: Presearcher): CheckList {
  const list: CheckList = [];
  // positives before exclusions (most candidates fail on a missing `+phrase`), regexes last
  const order = (t: Term) => (t.kind === 'regex' ? 2 : t.negated ? 1 : 0);
  for (const t of [...a.terms].sort((x, y) => order(x) - order(y))) {
    if (t === posted) continue;
    const scope = scopeMask(t.scope);
    const code = scope | (t.negated ? MUST_BE_ABSENT : 0);
    if (t.kind === 'regex') list.push(t, code | IS_REGEX);
    else list.push(presearcher.watch(phraseKey(t), scope), code);
  }
  return list;
}

/** Undoes compileChecks: the presearcher stops watching the keys. */
export function releaseChecks(list: CheckList, presearcher: Presearcher): void {
  for (let i = 0; i < list.length; i += 2) {
    const code = list[i + 1] as number;
    if (code & IS_REGEX) continue;
    presearcher.unwatch(list[i] as KeyNode, code & ALL_FIELDS);
  }
}

/** Does a candidate hold on the item probed as `itemNo`? Phrases by their stamps (seen in it, in a field of the scope). */
export function confirms(checks: CheckList, prepared: PreparedItem, itemNo: number): boolean {
  for (let i = 0; i < checks.length; i += 2) {
    const code = checks[i + 1] as number;
    let present: boolean;
    if (code & IS_REGEX) present = termFields(checks[i] as RegexTerm, prepared, code & ALL_FIELDS) !== 0;
    else {
      const n = checks[i] as KeyNode;
      present = n.seenInItem === itemNo && (n.seenFields & code & ALL_FIELDS) !== 0;
    }
    if (present === ((code & MUST_BE_ABSENT) !== 0)) return false;
  }
  return true;
}
