// Entry point of a parse worker thread (piscina loads the default export). Kept tiny: the work is in parse-jobs.ts.
import { handleParseTask } from './parse-jobs.js';

export default handleParseTask;
