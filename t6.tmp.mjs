import { RE2JS } from 're2js';
let seed = 1; const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
const inputs = []; for (let i = 0; i < 200; i++) { let s = ''; for (let j = 0; j < 2000; j++) s += rnd() < 0.5 ? 'a' : 'b'; inputs.push(s); }
const re = RE2JS.compile(process.argv[2], +process.argv[3]);
const t = performance.now();
for (const s of inputs) re.test(s);
console.log((performance.now() - t) / inputs.length * 1000);
