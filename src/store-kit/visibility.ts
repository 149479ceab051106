/**
 * The visibility rule of the event feed: a reader sees events for its own user and for `all`;
 * a read without a user sees `all` only; the hub's own relay reads (`everyone`) see every event.
 *
 * @module
 */
import type { StoreEventRead } from "../store.js";
import { ALL_USERS, type StoredEvent } from "../types.js";

/**
 * The `user` values a read may see: `["all"]` or `["all", user]`, or `undefined` when the read
 * sees every event (`everyone`). For SQL: `user IN (...)`, or no condition.
 */
export function visibleUsers(read: Pick<StoreEventRead, "user" | "everyone">): readonly string[] | undefined {
  if (read.everyone === true) return undefined;
  return read.user === undefined || read.user === ALL_USERS ? [ALL_USERS] : [ALL_USERS, read.user];
}

/** Whether `event` is visible to `read` (see {@link visibleUsers}). */
export function isVisible(event: Pick<StoredEvent, "user">, read: Pick<StoreEventRead, "user" | "everyone">): boolean {
  return read.everyone === true || event.user === ALL_USERS || (read.user !== undefined && event.user === read.user);
}
