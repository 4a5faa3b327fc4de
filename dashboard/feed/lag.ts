/**
 * How far behind the live feed is. The feed is as late as what it carries: a passage reaches the
 * guard's screen seconds after it happened when the dashboard (or the broker before it) cannot
 * keep up with the site. Nothing is dropped then (the broker queues for the dashboard's persistent
 * session, the feed's store replays to a browser that reconnects), but a fever shown late must not
 * look live: once the feed is more than `noticeMs` behind, the guard's page says so (feed event
 * `lag`) until it has caught up.
 *
 * Measured on the realtime passages as they go out on the feed: their age (the gate's time of the
 * passage against the dashboard's clock), the median over a window, so that one gate with a wrong
 * clock, or one gate sending what it kept while it was away, does not decide it alone. A window
 * without passages leaves the state as it was (the feed's connection state covers a broken link).
 */
export interface FeedLagState {
  /** Seconds behind (rounded), null when the feed keeps up. */
  behindS: number | null;
}

export class FeedLag {
  private ages: number[] = [];
  private state: FeedLagState = { behindS: null };

  constructor(private readonly noticeMs: number) {}

  /** A realtime passage (at `sourceAt`, the gate's clock) goes out on the feed at `now`. */
  seen(sourceAt: number, now: number): void {
    this.ages.push(now - sourceAt);
  }

  /** The state now. */
  current(): FeedLagState {
    return this.state;
  }

  /**
   * Ends a window: the new state when it changed (behind or caught up, or behind by another
   * number of seconds), undefined otherwise.
   */
  endWindow(): FeedLagState | undefined {
    if (this.ages.length === 0) return undefined;
    const ages = this.ages.sort((a, b) => a - b);
    this.ages = [];
    const median = ages[Math.floor(ages.length / 2)] as number;
    const behindS = median > this.noticeMs ? Math.round(median / 1000) : null;
    if (behindS === this.state.behindS) return undefined;
    this.state = { behindS };
    return this.state;
  }
}
