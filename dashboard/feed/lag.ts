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
 * clock, or one gate sending what it kept while it was away, does not decide it alone. A feed
 * that is behind gets passages in every window; once none has come for `quietMs` it has caught up
 * (the last ones were a backlog, e.g. what the broker kept while the dashboard restarted, on a
 * quiet site). The feed's connection state covers a broken link.
 */
export interface FeedLagState {
  /** Seconds behind (rounded), null when the feed keeps up. */
  behindS: number | null;
}

export class FeedLag {
  private ages: number[] = [];
  private state: FeedLagState = { behindS: null };
  private lastSeenAt = 0;

  constructor(
    private readonly noticeMs: number,
    private readonly quietMs = 10_000,
  ) {}

  /** A realtime passage (at `sourceAt`, the gate's clock) goes out on the feed at `now`. */
  seen(sourceAt: number, now: number): void {
    this.ages.push(now - sourceAt);
    this.lastSeenAt = now;
  }

  /** The state now. */
  current(): FeedLagState {
    return this.state;
  }

  /**
   * Ends a window at `now`: the new state when it changed (behind or caught up, or behind by
   * another number of seconds), undefined otherwise.
   */
  endWindow(now: number): FeedLagState | undefined {
    let behindS: number | null;
    if (this.ages.length === 0) {
      if (this.state.behindS === null || now - this.lastSeenAt < this.quietMs) return undefined;
      behindS = null;
    } else {
      const ages = this.ages.sort((a, b) => a - b);
      this.ages = [];
      const median = ages[Math.floor(ages.length / 2)] as number;
      behindS = median > this.noticeMs ? Math.round(median / 1000) : null;
    }
    if (behindS === this.state.behindS) return undefined;
    this.state = { behindS };
    return this.state;
  }
}
