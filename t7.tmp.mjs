import { RE2JS } from 're2js';
for (const [p,f] of [['\\pL*a\\pL{10}X',1],['\\pL*a\\pL{10}X',0],['(?i)[\\x{100}-\\x{10FFFF}]a',0],['[^a]*a',1],['\\PL*a',1],['\\w*a',1],['[^\\n]*a', 1]]) {
  const re = RE2JS.compile(p, f); re.test('abc');
  const d = re.re2().lazyDFA; console.log(p, f, d?.numClasses, d?.stateCount, d?.failed);
}
