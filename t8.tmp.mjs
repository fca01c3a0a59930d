import { RE2JS } from 're2js';
let seed = 1; const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
const inputs = []; for (let i = 0; i < 40; i++) { let s = ''; for (let j = 0; j < 2000; j++) s += rnd() < 0.5 ? 'a' : 'b'; inputs.push(s); }
const words = 'the quick brown fox jumps over lazy dog and north korea fires a missile test near sea'.split(' ');
let news = ''; let k = 0; while (news.length < 2000) news += words[(k++ * 7) % words.length] + ' '; news = news.slice(0,2000);
const mem = +process.argv[2];
const DFA = RE2JS.compile('a').re2().dfa.constructor;
for (const p of process.argv.slice(3)) {
  global.gc(); const h0 = process.memoryUsage().heapUsed;
  let re = RE2JS.compile(p, 0);
  if (mem) re.re2().lazyDFA = new DFA(re.re2().prog, mem);
  const t = performance.now();
  for (const s of inputs) re.test(s);
  const el = (performance.now() - t) / inputs.length * 1000;
  const t2 = performance.now(); for (let i = 0; i < 20; i++) re.test(news); const el2 = (performance.now() - t2) / 20 * 1000;
  global.gc();
  console.log(p.padEnd(40), 'prog', String(re.re2().prog.numInst()).padStart(5), 'ab µs', el.toFixed(0).padStart(7), 'news µs', el2.toFixed(0).padStart(7), 'heap KB', ((process.memoryUsage().heapUsed - h0)/1024).toFixed(0));
}
