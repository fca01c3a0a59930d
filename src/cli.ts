// `npm run herald -- <verb>`: the command-line entry point. Each verb lives in src/cli/<verb>.ts.
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { CHECK_USAGE as USAGE, runCheck } from './cli/check.js';
import { isOperatorVerb, runOperatorVerb } from './cli/operator.js';

async function main(argv: string[]): Promise<number> {
  if (isOperatorVerb(argv[0])) return runOperatorVerb(argv[0], argv.slice(1));
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { query: { type: 'string', short: 'q' }, json: { type: 'boolean' }, render: { type: 'boolean' }, 'no-articles': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const [verb, target, ...rest] = parsed.positionals;
  if (parsed.values.help || verb !== 'check' || !target || rest.length) {
    (parsed.values.help ? console.log : console.error)(USAGE);
    return parsed.values.help ? 0 : 2;
  }
  const allow = /^(1|true|yes)$/i.test(process.env.ALLOW_PRIVATE_ADDRESSES ?? '');
  const articles = !parsed.values['no-articles'] && !/^(0|false|no)$/i.test(process.env.FETCH_ARTICLES?.trim() ?? '');
  endQuietlyOnClosedPipe();
  return runCheck(
    { target, query: parsed.values.query, json: parsed.values.json, render: parsed.values.render, articles, ansi: process.stdout.isTTY === true, allowPrivateAddresses: allow },
    (line) => void process.stdout.write(`${line}\n`),
  );
}

/**
 * `herald check … | head -1` closes stdout after one line: stop writing and exit 0, as Unix tools do, rather than die
 * on the EPIPE with a stack trace. Any other write failure is one line on stderr and exit code 1.
 */
function endQuietlyOnClosedPipe(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    process.stderr.write(`error: cannot write the output: ${error.message}\n`);
    process.exit(1);
  });
}

/** True when this file is the process's entry point (node dist/src/cli.js, or tsx src/cli.ts), not an import. */
function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return pathToFileURL(realpathSync(entry)).href === import.meta.url;
  } catch {
    return /\/src\/cli\.[jt]s$/.test(entry);
  }
}

if (isEntryPoint()) {
  process.exitCode = await main(process.argv.slice(2));
}
