/**
 * Where failures of the hub's background work go: the typed `error` event, or, when nobody
 * listens, one process warning per kind so they are never lost silently.
 *
 * @module
 */
import { BackgroundTaskError } from "../errors.js";

/** The part of an event emitter the reporter needs. */
export interface ErrorChannel {
  listenerCount(name: "error"): number;
  emit(name: "error", error: BackgroundTaskError): boolean;
}

/** Reports background failures of one hub. */
export class BackgroundReporter {
  private readonly warned = new Set<BackgroundTaskError["task"]>();

  /** @param warn how an unheard failure is reported. @default `process.emitWarning` */
  constructor(
    private readonly channel: ErrorChannel,
    private readonly warn: (error: BackgroundTaskError) => void = (error) => process.emitWarning(error),
  ) {}

  /**
   * Emits a {@link BackgroundTaskError} to `error` listeners; with none, warns once per task
   * (later failures of the same task are dropped: the task keeps retrying on its own).
   */
  report(task: BackgroundTaskError["task"], cause: unknown): void {
    const error = new BackgroundTaskError(task, cause);
    if (this.channel.listenerCount("error") > 0) {
      this.channel.emit("error", error);
      return;
    }
    if (this.warned.has(task)) return;
    this.warned.add(task);
    this.warn(error);
  }
}
