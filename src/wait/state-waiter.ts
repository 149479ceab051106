/**
 * Wait-for-state: the machinery behind `hub.waitForState()`.
 *
 * Waiters are grouped by container. Each watched container costs one entry, one in-flight
 * inspect at most, and one timer for its next look when one is due (a poll when the runtime has
 * no change feed, a steady look when its feed may be late, a settle look shortly after a change,
 * a retry after a failed inspect); all
 * containers share one subscription to the hub's events and one to the runtime's `watch`.
 * Waiters sharing an `AbortSignal` share one abort listener.
 *
 * @module
 */
import pTimeout, { type ClearablePromise } from "p-timeout";
import { ClosedError, HubError, NotFoundError, RuntimeUnavailableError } from "../errors.js";
import { reasonOf } from "../reason.js";
import type { ContainerRuntime, ContainerChange } from "../runtime.js";
import type { ContainerInfo, ContainerType, HubEvent, WaitState } from "../types.js";

/** Options of {@link StateWaiter}. */
export interface StateWaiterOptions {
  /** Where container state is read. */
  runtime: ContainerRuntime;
  /**
   * Subscribes to the hub's events (published locally and, with a shared store, by other
   * processes); returns an unsubscribe function. Subscribed once while any wait is pending.
   */
  subscribeEvents: (listener: (event: HubEvent) => void) => () => void;
  /**
   * How often to re-inspect a container with pending waits when the runtime has no `watch`,
   * milliseconds. Hub events still wake waits at once.
   * @default 1000
   */
  pollIntervalMs?: number;
  /**
   * While a container has pending waits and the runtime has a `watch`, look at it this often
   * (after each answer) even when nothing changed, milliseconds, so a state the feed tells late
   * is seen sooner. One inspect per interval per waited container, however many waits; idle
   * containers are never looked at. `0` turns it off: waits then look only after a change (and
   * in the settle window after it).
   * @default the runtime's `lookIntervalMs`, else 0
   */
  lookIntervalMs?: number;
  /**
   * How long a wait whose duration ended may wait for the inspect that confirms the current
   * state, milliseconds. Past it (a runtime that hangs rather than fails) the wait rejects
   * `RuntimeUnavailableError`, so a wait ends at most this long after its duration.
   * @default 2000
   */
  confirmTimeoutMs?: number;
}

/** One wait, as {@link StateWaiter.wait} takes it (already validated by the hub). */
export interface StateWaitRequest {
  type: ContainerType;
  /** Container id or name, as the runtime's `inspect` accepts it. */
  id: string;
  state: WaitState;
  /**
   * Milliseconds before resolving with the current info (read by an inspect made then, or
   * rejecting `RuntimeUnavailableError` when none answers). `0` answers the current info at
   * once; `Infinity` never times out.
   * @default 60000
   */
  timeoutMs?: number;
  /** Rejects the wait with `signal.reason` when aborted. */
  signal?: AbortSignal;
}

/** Resource counts of a {@link StateWaiter}, for leak tests and diagnostics. */
export interface StateWaiterStats {
  /** Containers with at least one pending wait. */
  containers: number;
  /** Pending waits. */
  waiters: number;
  /** Live timers: wait timeouts plus poll timers. */
  timers: number;
  /** Live listeners: the hub-event and runtime-watch subscriptions plus abort listeners. */
  listeners: number;
}

interface Waiter {
  target: WaitState;
  /** Set at timeout (or for a zero timeout): the next inspect settles it whatever the state. */
  final: boolean;
  /** Set with `final`: rejects the wait when no inspect confirms the state in time. */
  confirmTimer: ReturnType<typeof setTimeout> | undefined;
  /** Whether an inspect has answered since the wait began. */
  seen: boolean;
  /** Settle the wait and release its timer, abort listener and place in its entry; idempotent. */
  resolve(info: ContainerInfo): void;
  reject(error: unknown): void;
}

interface Entry {
  /** Its key in `entries`. */
  key: string;
  type: ContainerType;
  /** The id or name the waits asked for. */
  requested: string;
  waiters: Set<Waiter>;
  /** Alias keys this entry is indexed under (the requested one, then the runtime's id and name). */
  aliases: Set<string>;
  inspecting: boolean;
  /** A change arrived while an inspect was in flight: inspect again when it ends. */
  dirty: boolean;
  /** The next scheduled inspect: a settle step, a retry after a failure, or a poll. */
  pollTimer: ReturnType<typeof setTimeout> | undefined;
  /** Settle looks left after the last change (see `SETTLE_LOOKS`); 0 outside a settle window. */
  settleStep: number;
  /** Inspects failed in a row (drives the retry backoff); 0 after any answer. */
  failures: number;
  released: boolean;
}

interface AbortGroup {
  waiters: Set<Waiter>;
  onAbort: () => void;
}

const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_CONFIRM_TIMEOUT_MS = 2000;
/**
 * After a change that did not (yet) bring a waited-for state, look again `SETTLE_INTERVAL_MS`
 * after each answer, `SETTLE_LOOKS` times (about a second): a state an action is bringing about
 * is seen within an inspect and 25 ms, sooner than a late change feed tells (podman reads its
 * event file every 250 ms) and than an engine's own wait (podman polls every 250 ms). Only
 * containers with pending waits are looked at: after a change, and (with `lookIntervalMs`) at
 * that steady interval between changes.
 */
const SETTLE_INTERVAL_MS = 25;
const SETTLE_LOOKS = 40;
/** Retry of a failed inspect while waits are pending: doubling from this, jittered, capped. */
const RETRY_INITIAL_MS = 100;
/** The retry cap: a runtime back from an outage is seen within this long (plus one inspect). */
const STATE_RETRY_MAX_MS = 1000;

type PTimeoutTimers = NonNullable<Parameters<typeof pTimeout>[1]["customTimers"]>;

/**
 * Resolves waits for a container state. Race-free: a wait subscribes before it inspects, and a
 * change that arrives during an inspect triggers another one, so no change is lost.
 *
 * Outcomes of {@link StateWaiter.wait}:
 * - resolves with the info when the container is (or reaches) the state;
 * - resolves with the current info when the timeout runs out (compare `info.state`): the info
 *   of an inspect that answered after the timeout (or was in flight then), never a cached one;
 * - rejects `RuntimeUnavailableError` (`RUNTIME_UNAVAILABLE`) when the timeout runs out and
 *   no inspect confirms the current state within `confirmTimeoutMs` (the runtime fails or
 *   hangs): a wait never reports a state it has not seen;
 * - rejects `NotFoundError` when the runtime does not know the container, including when it
 *   vanishes (is removed) while the wait is pending;
 * - rejects with `signal.reason` on abort, `ClosedError` after {@link StateWaiter.close}, and
 *   with the runtime's error when the first inspect fails (a `HubError` as it is, anything
 *   else as `RuntimeUnavailableError`); later failures are retried on the next change or poll.
 */
export class StateWaiter {
  private readonly runtime: ContainerRuntime;
  private readonly subscribeEvents: StateWaiterOptions["subscribeEvents"];
  private readonly pollIntervalMs: number;
  /** Steady looks at waited containers of a runtime with `watch`; 0 when off. */
  private readonly lookIntervalMs: number;
  private readonly confirmTimeoutMs: number;
  private readonly entries = new Map<string, Entry>();
  /** Alias key -> entries known under it (usually one). */
  private readonly byAlias = new Map<string, Set<Entry>>();
  /** Entries whose first inspect has not answered: any change of their type may concern them. */
  private readonly unidentified = new Set<Entry>();
  private readonly abortGroups = new Map<AbortSignal, AbortGroup>();
  private readonly timeoutTimers = new Set<ReturnType<typeof setTimeout>>();
  private unsubscribeHub: (() => void) | undefined;
  private unsubscribeRuntime: (() => void) | undefined;
  private closed = false;

  /** Counts live timers so {@link StateWaiter.stats} can prove none is left. */
  private readonly timers: PTimeoutTimers = {
    setTimeout: (callback: () => void, ms: number): ReturnType<typeof setTimeout> => {
      const timer = setTimeout(() => {
        this.timeoutTimers.delete(timer);
        callback();
      }, ms);
      this.timeoutTimers.add(timer);
      return timer;
    },
    clearTimeout: (timer: ReturnType<typeof setTimeout> | undefined): void => {
      if (timer === undefined) return;
      clearTimeout(timer);
      this.timeoutTimers.delete(timer);
    },
  } as unknown as PTimeoutTimers; // p-timeout types the pair as Node's overloaded globals

  constructor(options: StateWaiterOptions) {
    this.runtime = options.runtime;
    this.subscribeEvents = options.subscribeEvents;
    const poll = options.pollIntervalMs ?? 1000;
    if (!Number.isFinite(poll) || poll <= 0) throw new TypeError(`pollIntervalMs must be a positive number, got ${String(poll)}`);
    this.pollIntervalMs = poll;
    const look = options.lookIntervalMs ?? this.runtime.lookIntervalMs ?? 0;
    if (!Number.isFinite(look) || look < 0) {
      throw new TypeError(`lookIntervalMs must be a number of milliseconds >= 0, got ${String(look)}`);
    }
    this.lookIntervalMs = look;
    const confirm = options.confirmTimeoutMs ?? DEFAULT_CONFIRM_TIMEOUT_MS;
    if (!Number.isFinite(confirm) || confirm <= 0) {
      throw new TypeError(`confirmTimeoutMs must be a positive number, got ${String(confirm)}`);
    }
    this.confirmTimeoutMs = confirm;
  }

  /**
   * Waits until container `id` of `type` is in `state`; see the class description for every
   * outcome.
   */
  wait(request: StateWaitRequest): Promise<ContainerInfo> {
    if (this.closed) return Promise.reject(new ClosedError());
    const { signal } = request;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const timeoutMs = request.timeoutMs ?? DEFAULT_TIMEOUT_MS;

    // Subscribe first (the entry exists only while subscribed), then inspect.
    let entry: Entry;
    try {
      entry = this.acquire(request.type, request.id);
    } catch (error) {
      return Promise.reject(error);
    }
    let timed: ClearablePromise<ContainerInfo> | undefined;
    let done = false;
    // Settling releases everything at once (not a microtask later), so stats() and close() see it.
    const finish = () => {
      done = true;
      timed?.clear();
      this.timers.clearTimeout(waiter.confirmTimer);
      waiter.confirmTimer = undefined;
      if (signal) this.removeAbort(signal, waiter);
      this.leave(entry, waiter);
    };
    const waiter: Waiter = {
      target: request.state,
      final: false,
      confirmTimer: undefined,
      seen: false,
      resolve: () => undefined,
      reject: () => undefined,
    };
    const settled = new Promise<ContainerInfo>((resolve, reject) => {
      waiter.resolve = (info) => {
        if (done) return;
        finish();
        resolve(info);
      };
      waiter.reject = (error) => {
        if (done) return;
        finish();
        reject(error);
      };
    });
    entry.waiters.add(waiter);
    if (signal) this.addAbort(signal, waiter);

    if (!(timeoutMs > 0)) {
      this.makeFinal(entry, waiter);
    } else if (timeoutMs !== Number.POSITIVE_INFINITY) {
      // p-timeout builds a TimeoutError (with a stack) per call that a fallback never throws;
      // without the stack, 10,000 waits register several times faster.
      const stackTraceLimit = Error.stackTraceLimit;
      Error.stackTraceLimit = 0;
      try {
        timed = pTimeout(settled, {
          milliseconds: timeoutMs,
          // At timeout the wait settles on the next inspect's answer, whatever the state.
          fallback: () => {
            this.makeFinal(entry, waiter);
            this.refresh(entry, "join");
            return settled;
          },
          customTimers: this.timers,
        });
      } finally {
        Error.stackTraceLimit = stackTraceLimit;
      }
    }
    this.refresh(entry, "join");
    return timed ?? settled;
  }

  /**
   * Rejects every pending wait with `ClosedError` and releases every subscription, timer and
   * abort listener at once. Later waits reject with `ClosedError`.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const error = new ClosedError();
    for (const entry of [...this.entries.values()]) {
      for (const waiter of [...entry.waiters]) waiter.reject(error);
    }
    this.updateSubscriptions();
  }

  /** Current resource counts; all zero when nothing is pending. */
  stats(): StateWaiterStats {
    let waiters = 0;
    let pollTimers = 0;
    for (const entry of this.entries.values()) {
      waiters += entry.waiters.size;
      if (entry.pollTimer !== undefined) pollTimers++;
    }
    return {
      containers: this.entries.size,
      waiters,
      timers: this.timeoutTimers.size + pollTimers,
      listeners: (this.unsubscribeHub ? 1 : 0) + (this.unsubscribeRuntime ? 1 : 0) + this.abortGroups.size,
    };
  }

  /**
   * The wait's duration is over: the next inspect settles it, and if none answers within
   * `confirmTimeoutMs` the wait rejects rather than report a state it has not seen.
   */
  private makeFinal(entry: Entry, waiter: Waiter): void {
    waiter.final = true;
    waiter.confirmTimer = this.timers.setTimeout(() => {
      waiter.confirmTimer = undefined;
      waiter.reject(unconfirmed(entry, undefined));
    }, this.confirmTimeoutMs);
  }

  // -------------------------------------------------------------------------------------------
  // Entries

  private acquire(type: ContainerType, id: string): Entry {
    const key = `${type}\u0000${id}`;
    let entry = this.entries.get(key);
    if (entry) return entry;
    entry = {
      key,
      type,
      requested: id,
      waiters: new Set(),
      aliases: new Set(),
      inspecting: false,
      dirty: false,
      pollTimer: undefined,
      settleStep: 0,
      failures: 0,
      released: false,
    };
    this.entries.set(key, entry);
    this.addAlias(entry, id);
    this.unidentified.add(entry);
    try {
      this.updateSubscriptions();
    } catch (error) {
      // A subscribe that throws must not leave a waiter-less entry behind.
      this.release(entry);
      throw error;
    }
    return entry;
  }

  /** Removes a settled waiter; the container's last waiter takes its entry and timer along. */
  private leave(entry: Entry, waiter: Waiter): void {
    if (!entry.waiters.delete(waiter)) return;
    if (entry.waiters.size > 0) return;
    this.release(entry);
    this.updateSubscriptions();
  }

  /** Unindexes a waiter-less entry and stops its poll timer (subscriptions are the caller's). */
  private release(entry: Entry): void {
    entry.released = true;
    if (entry.pollTimer !== undefined) clearTimeout(entry.pollTimer);
    entry.pollTimer = undefined;
    this.entries.delete(entry.key);
    this.unidentified.delete(entry);
    for (const alias of entry.aliases) {
      const set = this.byAlias.get(alias);
      set?.delete(entry);
      if (set?.size === 0) this.byAlias.delete(alias);
    }
  }

  private addAlias(entry: Entry, name: string): void {
    const key = aliasKey(entry.type, name);
    if (entry.aliases.has(key)) return;
    entry.aliases.add(key);
    let set = this.byAlias.get(key);
    if (!set) this.byAlias.set(key, (set = new Set()));
    set.add(entry);
  }

  /** Holds the shared subscriptions exactly while some container has a pending wait. */
  private updateSubscriptions(): void {
    const wanted = this.entries.size > 0 && !this.closed;
    if (wanted && !this.unsubscribeHub) {
      this.unsubscribeHub = this.subscribeEvents((event) => this.onHubEvent(event));
    }
    if (wanted && !this.unsubscribeRuntime && this.runtime.watch) {
      this.unsubscribeRuntime = this.runtime.watch((change) => this.onRuntimeChange(change));
    }
    if (!wanted) {
      const hub = this.unsubscribeHub;
      const runtime = this.unsubscribeRuntime;
      this.unsubscribeHub = undefined;
      this.unsubscribeRuntime = undefined;
      hub?.();
      runtime?.();
    }
  }

  // -------------------------------------------------------------------------------------------
  // Wake-ups

  private onHubEvent(event: HubEvent): void {
    if (event.category !== "container") return;
    const payload = event.payload as { type?: unknown; id?: unknown; container?: unknown } | null;
    if (typeof payload !== "object" || payload === null) return;
    const type = payload.type;
    if (type !== "docker" && type !== "lxc") return;
    this.wake(type, [payload.id, payload.container]);
  }

  private onRuntimeChange(change: ContainerChange): void {
    if (change.info) this.answer(change.type, change.info);
    else this.wake(change.type, [change.id, change.name]);
  }

  /**
   * A fresh info the runtime read itself (after an action of its own): settles the waits it
   * satisfies at once, as an inspect's answer would, and keeps the settle window of the others
   * open. No inspect is made for it.
   */
  private answer(type: ContainerType, info: ContainerInfo): void {
    const hit = new Set<Entry>();
    for (const name of [info.id, info.name]) {
      const set = this.byAlias.get(aliasKey(type, name));
      if (set) for (const entry of set) hit.add(entry);
    }
    for (const entry of hit) {
      for (const waiter of entry.waiters) {
        if (info.state === waiter.target || waiter.final) waiter.resolve(info);
        else waiter.seen = true;
      }
      if (entry.released) continue;
      entry.settleStep = SETTLE_LOOKS;
      if (!entry.inspecting && entry.pollTimer === undefined) this.scheduleNextLook(entry, true);
    }
  }

  /** Re-inspects every entry the change may concern (once each, however many waiters). */
  private wake(type: ContainerType, names: readonly unknown[]): void {
    const hit = new Set<Entry>();
    for (const name of names) {
      if (typeof name !== "string" || name === "") continue;
      const set = this.byAlias.get(aliasKey(type, name));
      if (set) for (const entry of set) hit.add(entry);
    }
    // Before its first answer an entry knows only the name it was asked by, so any change of
    // its type might be about it.
    for (const entry of this.unidentified) if (entry.type === type) hit.add(entry);
    for (const entry of hit) {
      entry.settleStep = SETTLE_LOOKS; // a change (re)opens the settle window
      this.refresh(entry);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Inspecting and settling

  /**
   * Starts an inspect. If one is running: a change marks it stale so another follows it; a new
   * or timed-out wait just joins it (it began after the subscription, so no change is lost).
   */
  private refresh(entry: Entry, reason: "change" | "join" | "look" = "change"): void {
    if (entry.released) return;
    if (entry.inspecting) {
      if (reason === "change") entry.dirty = true;
      return;
    }
    if (entry.pollTimer !== undefined) {
      clearTimeout(entry.pollTimer);
      entry.pollTimer = undefined;
    }
    entry.inspecting = true;
    entry.dirty = false;
    let pending: Promise<ContainerInfo | undefined>;
    try {
      pending = Promise.resolve(this.runtime.inspect(entry.type, entry.requested));
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending.then(
      (info) => this.afterInspect(entry, info, undefined, true),
      (error: unknown) => this.afterInspect(entry, undefined, error, false),
    );
  }

  private afterInspect(entry: Entry, info: ContainerInfo | undefined, error: unknown, ok: boolean): void {
    entry.inspecting = false;
    if (entry.released) return;
    entry.failures = ok ? 0 : entry.failures + 1;
    if (ok && info) {
      this.unidentified.delete(entry);
      this.addAlias(entry, info.id);
      this.addAlias(entry, info.name);
    }
    // Deleting the current element while iterating a Set is safe; settling waiters leave.
    for (const waiter of entry.waiters) {
      if (ok) {
        if (!info) waiter.reject(new NotFoundError(`No ${entry.type} container "${entry.requested}"`));
        else if (info.state === waiter.target || waiter.final) waiter.resolve(info);
        else waiter.seen = true;
      } else if (waiter.final) {
        // The duration is over and the runtime cannot say what the state is now: say so,
        // rather than answer the last state seen as if it were current.
        waiter.reject(waiter.seen ? unconfirmed(entry, error) : asRuntimeError(error));
      } else if (!waiter.seen) {
        waiter.reject(asRuntimeError(error));
      }
    }
    // Settled waiters have left; the last one took the entry along.
    if (entry.released) return;
    if (entry.dirty) {
      this.refresh(entry);
      return;
    }
    this.scheduleNextLook(entry, ok);
  }

  /**
   * The next inspect of a container with pending waits: a jittered, capped retry after a
   * failure; a settle step while a recent change may still be bringing the state; else a poll
   * when the runtime has no `watch`, or a steady look (`lookIntervalMs`) when it has one whose
   * feed may be late. A container nobody waits on is never looked at.
   */
  private scheduleNextLook(entry: Entry, ok: boolean): void {
    if (entry.waiters.size === 0) return;
    let delay: number | undefined;
    if (!ok) {
      const backoff = Math.min(STATE_RETRY_MAX_MS, RETRY_INITIAL_MS * 2 ** Math.min(entry.failures - 1, 10));
      delay = backoff / 2 + Math.random() * (backoff / 2); // jitter: waits of many hubs do not retry in step
    } else if (entry.settleStep > 0) {
      delay = SETTLE_INTERVAL_MS;
      entry.settleStep--;
    } else if (!this.runtime.watch) {
      delay = this.pollIntervalMs;
    } else if (this.lookIntervalMs > 0) {
      delay = this.lookIntervalMs;
    }
    if (delay === undefined) return;
    if (!this.runtime.watch) delay = Math.min(delay, this.pollIntervalMs);
    entry.pollTimer = setTimeout(() => {
      entry.pollTimer = undefined;
      this.refresh(entry, "look");
    }, delay);
  }

  // -------------------------------------------------------------------------------------------
  // Abort signals: one listener per signal, however many waits share it

  private addAbort(signal: AbortSignal, waiter: Waiter): void {
    let group = this.abortGroups.get(signal);
    if (!group) {
      const waiters = new Set<Waiter>();
      const onAbort = () => {
        this.abortGroups.delete(signal);
        for (const w of waiters) w.reject(signal.reason);
      };
      group = { waiters, onAbort };
      this.abortGroups.set(signal, group);
      signal.addEventListener("abort", onAbort, { once: true });
    }
    group.waiters.add(waiter);
  }

  private removeAbort(signal: AbortSignal, waiter: Waiter): void {
    const group = this.abortGroups.get(signal);
    if (!group || !group.waiters.delete(waiter)) return;
    if (group.waiters.size === 0) {
      this.abortGroups.delete(signal);
      signal.removeEventListener("abort", group.onAbort);
    }
  }
}

/** The error of a wait whose duration ended while the runtime could not be read. */
function unconfirmed(entry: Entry, cause: unknown): RuntimeUnavailableError {
  return new RuntimeUnavailableError(
    `The container runtime could not confirm the state of ${entry.type} container "${entry.requested}" when the wait ended`,
    cause === undefined ? undefined : { cause },
  );
}

/** A runtime's failure as the wait reports it: typed errors as they are, anything else as unavailable. */
function asRuntimeError(error: unknown): HubError {
  return error instanceof HubError ? error : new RuntimeUnavailableError(`The container runtime failed: ${reasonOf(error)}`, { cause: error });
}

/**
 * The index key of a container name or id. Docker ids are indexed by their 12-character short
 * form, so a full id and a short one (as the seed's events carry) meet.
 */
function aliasKey(type: ContainerType, name: string): string {
  const short = name.length >= 12 && /^[0-9a-f]+$/.test(name) ? name.slice(0, 12) : name;
  return `${type}\u0000${short}`;
}
