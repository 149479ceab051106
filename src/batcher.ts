/**
 * Group commit: items pushed in the same tick (or while a flush is running) are written by one
 * store call. Each caller's promise settles only after its own batch has committed.
 *
 * @module
 */

interface Pending<I, O> {
  item: I;
  resolve: (value: O) => void;
  reject: (error: unknown) => void;
}

/** Collects items and flushes them in batches, one batch at a time, in order. */
export class Batcher<I, O> {
  private queue: Pending<I, O>[] = [];
  private draining: Promise<void> | undefined;

  /**
   * @param flush writes a batch atomically and returns one output per item, in order.
   * @param maxBatch the largest batch handed to `flush`.
   */
  constructor(
    private readonly flush: (items: I[]) => Promise<O[]>,
    private readonly maxBatch = 1000,
  ) {}

  /** Queues one item; resolves with its output after its batch commits. */
  push(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.draining ??= new Promise<void>((done) => queueMicrotask(() => void this.drain().finally(done)));
    });
  }

  /** Resolves once everything queued so far has been flushed (or failed). */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          const out = await this.flush(batch.map((p) => p.item));
          batch.forEach((p, i) => p.resolve(out[i] as O));
        } catch (error) {
          for (const p of batch) p.reject(error);
        }
      }
    } finally {
      this.draining = undefined;
    }
  }
}
