// The operator's verbs (doctor, backup, copy-store): argument parsing and .env, one place; each verb in its file.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { BACKUP_USAGE, runBackup } from './backup.js';
import { COPY_STORE_USAGE, runCopyStore } from './copy-store.js';
import { DOCTOR_USAGE, runDoctor } from './doctor.js';

export const OPERATOR_VERBS = ['doctor', 'backup', 'copy-store'] as const;
export type OperatorVerb = (typeof OPERATOR_VERBS)[number];

export const isOperatorVerb = (verb: string | undefined): verb is OperatorVerb => (OPERATOR_VERBS as readonly string[]).includes(verb ?? '');

const USAGE: Record<OperatorVerb, string> = { doctor: DOCTOR_USAGE, backup: BACKUP_USAGE, 'copy-store': COPY_STORE_USAGE };

/** Runs one operator verb with its arguments (after the verb); returns the exit code. */
export async function runOperatorVerb(verb: OperatorVerb, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const out = (line: string) => console.log(line);
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { from: { type: 'string' }, to: { type: 'string' }, force: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE[verb]}`);
    return 2;
  }
  if (parsed.values.help) {
    console.log(USAGE[verb]);
    return 0;
  }
  if (existsSync('.env')) process.loadEnvFile('.env');
  const { positionals, values } = parsed;
  const usage = () => {
    console.error(USAGE[verb]);
    return 2;
  };
  switch (verb) {
    case 'doctor':
      if (positionals.length) return usage();
      return runDoctor({ env }, out);
    case 'backup':
      if (positionals.length !== 1) return usage();
      return runBackup({ storeUrl: env.STORE_URL?.trim() || 'sqlite://data/herald.sqlite', file: positionals[0]! }, out);
    case 'copy-store':
      if (positionals.length || !values.from || !values.to) return usage();
      return runCopyStore({ from: values.from, to: values.to, force: values.force, progress: { isTTY: Boolean(process.stderr.isTTY), write: (t) => process.stderr.write(t) } }, out);
  }
}
