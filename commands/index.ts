import type { Command } from '../src/discord/command.js';
import { command as feed } from './feed/index.js';
import { command as feeds } from './feeds.js';
import { command as help } from './help.js';
import { command as preview } from './preview.js';
import { command as status } from './status.js';
import { command as subscribe } from './subscribe.js';
import { command as subscriptions } from './subscriptions.js';
import { command as unsubscribe } from './unsubscribe.js';
import { command as why } from './why.js';

/** Every slash command, one module per file. */
export const commands: Command[] = [help, feeds, feed, subscribe, unsubscribe, subscriptions, preview, why, status];
