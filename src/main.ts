import { existsSync } from 'node:fs';
import { ConfigError, loadConfig } from './config/config.js';
import { StoreConfigError, StoreUnavailableError } from './store/store.js';
import { chooseLogFormat, createLogger } from './log.js';
import { startApp, type App } from './app.js';

if (existsSync('.env')) process.loadEnvFile('.env');

let config;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}

const log = createLogger(config.logLevel, undefined, chooseLogFormat(config.logFormat, process.stdout.isTTY));
process.on('unhandledRejection', (reason) => log.error({ event: 'unhandled_rejection', error: reason instanceof Error ? reason.stack : String(reason) }, 'unhandled rejection'));

// Signals are handled from the start: one that arrives while Herald is still starting stops it once started.
// A repeat within FORCE_AFTER_MS is not a force-quit: process managers and wrappers (tsx, npm, docker) often send the
// signal again within milliseconds. A signal repeated later than that, while still stopping, quits at once.
const FORCE_AFTER_MS = 5_000;
let app: App | undefined;
let firstSignalAt: number | null = null;
const finish = (running: App) => running.stop().then(() => process.exit(0), () => process.exit(1));
const stop = (signal: string) => {
  const now = performance.now();
  if (firstSignalAt === null) {
    firstSignalAt = now;
    log.info({ event: 'signal', signal }, app ? 'stopping: finishing sends in flight' : 'stopping as soon as startup finishes');
    if (app) void finish(app);
    return;
  }
  if (now - firstSignalAt < FORCE_AFTER_MS) {
    log.info({ event: 'signal.repeated', signal }, 'already stopping: finishing sends in flight (a signal again after a few seconds quits at once)');
    return;
  }
  log.warn({ event: 'signal.force', signal }, 'quitting at once: sends in flight stay in the outbox for the next start');
  process.exit(1);
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));

try {
  app = await startApp({ config, log, ...(config.storePrefix ? { storeOptions: { prefix: config.storePrefix } } : {}) });
  if (firstSignalAt !== null) void finish(app);
} catch (error) {
  const code = (error as { code?: string }).code;
  if (code === 'TokenInvalid') {
    console.error('Discord rejected DISCORD_TOKEN. Reset the token on the application\'s "Bot" page at https://discord.com/developers/applications and put the new one in .env.');
  } else if (error instanceof StoreConfigError || error instanceof StoreUnavailableError) {
    console.error(error.message);
  } else {
    log.fatal({ event: 'start_failed', error: error instanceof Error ? error.stack : String(error) }, 'Herald could not start');
  }
  process.exit(1);
}
