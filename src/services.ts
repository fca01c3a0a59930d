import type { AlertService } from './alerts/alert-service.js';
import type { GuildActivity } from './alerts/guild-activity.js';
import type { Config } from './config/config.js';
import type { FeedService } from './feeds/follow/feed-service.js';
import type { Fetcher } from './feeds/fetch/fetcher.js';
import type { Parsers } from './feeds/parse/pool.js';
import type { Poller } from './feeds/poll/poller.js';
import type { Logger } from './log.js';
import type { SubscriptionService } from './match/subscription-service.js';
import type { RatingService } from './ratings/rating-service.js';

/** What slash commands may use: the same services the pipeline runs on, never the store or another module's internals. */
export interface Services {
  config: Config;
  log: Logger;
  clock: () => Date;
  fetcher: Fetcher;
  /** Parsing of untrusted documents (feeds, pages, OPML) in worker threads. */
  parsers: Parsers;
  feeds: FeedService;
  subscriptions: SubscriptionService;
  alerts: AlertService;
  /** per-server alert counts and last error, for /status */
  activity: GuildActivity;
  ratings: RatingService;
  poller: Poller;
}
