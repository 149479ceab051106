/**
 * Wakes long polls and iterators when the feed's head moves. One signal per hub; each waiter
 * holds one timer and at most one abort listener, both released when it settles.
 *
 * @module
 */

/** Why a wait ended. */
export type FeedWaitOutcome = "changed" | "timeout" | "closed";

/** Tracks the newest known index and wakes whoever waits for a newer one. */
export class FeedSignal {
  private known = 0;
  private closed = false;
  private readonly waiters = new Set<(outcome: FeedWaitOutcome) => void>();

  /** The newest index this process knows of. */
  get head(): number {
    return this.known;
  }

  /** How many waits are pending (for leak checks). */
  get pending(): number {
    return this.waiters.size;
  }

  /** Records a newer head and wakes every waiter. */
  advance(head: number): void {
    if (head <= this.known) return;
    this.known = head;
    this.settleAll("changed");
  }

  /**
   * Resolves `changed` once the head passes `seen`, `timeout` after `ms`, `closed` on close.
   * Rejects with the signal's reason on abort.
   */
  waitBeyond(seen: number, ms: number, signal?: AbortSignal): Promise<FeedWaitOutcome> {
    if (this.closed) return Promise.resolve("closed");
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.known > seen) return Promise.resolve("changed");
    return new Promise<FeedWaitOutcome>((resolve, reject) => {
      const finish = (outcome: FeedWaitOutcome) => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.waiters.delete(finish);
        resolve(outcome);
      };
      const onAbort = () => {
        clearTimeout(timer);
        this.waiters.delete(finish);
        reject(signal?.reason);
      };
      const timer = setTimeout(finish, ms, "timeout");
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.add(finish);
    });
  }

  /** Ends every pending wait with `closed`; later waits resolve `closed` at once. */
  close(): void {
    this.closed = true;
    this.settleAll("closed");
  }

  private settleAll(outcome: FeedWaitOutcome): void {
    for (const finish of [...this.waiters]) finish(outcome);
  }
}
