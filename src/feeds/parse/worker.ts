// Entry point of a parse worker thread (piscina loads the default export). Kept tiny: the work is in jobs.ts.
import { handleParseTask } from './jobs.js';

export default handleParseTask;
