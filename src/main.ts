import { existsSync } from 'node:fs';
import { ConfigError, loadConfig } from './config/config.js';
import { StoreConfigError, StoreUnavailableError } from './store/keyv-store.js';
import { createLogger } from './log.js';
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

const log = createLogger(config.logLevel);
process.on('unhandledRejection', (reason) => log.error({ event: 'unhandled_rejection', error: reason instanceof Error ? reason.stack : String(reason) }, 'unhandled rejection'));

// Signals are handled from the start: one that arrives while Herald is still starting stops it once started.
let app: App | undefined;
let signals = 0;
const finish = (running: App) => running.stop().then(() => process.exit(0), () => process.exit(1));
const stop = (signal: string) => {
  if (++signals > 1) process.exit(1);
  log.info({ event: 'signal', signal }, app ? 'stopping: finishing sends in flight' : 'stopping as soon as startup finishes');
  if (app) void finish(app);
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));

try {
  app = await startApp({ config, log });
  if (signals > 0) void finish(app);
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
