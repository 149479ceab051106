/**
 * `log-event-hub`: an activity log, an event feed and wait-for-state for container managers.
 *
 * The core never loads a native driver: durable stores live in `log-event-hub/sqlite` and
 * `log-event-hub/postgres`, the Docker-compatible runtime in `log-event-hub/docker`, the LXD
 * runtime in `log-event-hub/lxd`, test helpers in `log-event-hub/testing`, and the helpers a
 * store author needs (filter compilation, the text rule, record mapping) in
 * `log-event-hub/store-kit`.
 *
 * @packageDocumentation
 */
export { LogEventHub } from "./hub.js";
export type { HubOptions, HubEventMap, RetentionOptions, EventIteratorOptions, ExportFilter } from "./hub.js";
export { MemoryStore } from "./stores/memory/index.js";
export type { MemoryStoreOptions } from "./stores/memory/index.js";
export type {
  Store,
  StoreCapabilities,
  StoreEventRead,
  StoreEventWindow,
  StoreChange,
  PruneRequest,
  PruneResult,
} from "./store.js";
export type { ContainerRuntime, ContainerChange } from "./runtime.js";
export { CompositeRuntime } from "./runtimes/composite.js";
export type { CompositeRuntimeOptions, RuntimesByType } from "./runtimes/composite.js";
export * from "./types.js";
export * from "./errors.js";
export { DEFAULT_LIMITS } from "./limits.js";
export type { HubLimits } from "./limits.js";
export { parseLogQuery, parseExportQuery, MAX_EXPORT_LIMIT, parseEventQuery, parseWaitQuery, parseStreamQuery } from "./query.js";
export type { QueryParams, ParseContext, ParsedLogQuery, ParsedExportQuery, ParsedEventQuery, ParsedStreamQuery } from "./query.js";
export { checkCharacters, forbiddenCharacter } from "./logs/text.js";
export type { TextFieldKind } from "./logs/text.js";
export { toLogJson } from "./logs/json.js";
export { formatEventMessage, parseEventMessage, toEventPageJson } from "./events/wire.js";
export type { EventMessageOptions, ParsedEventMessage } from "./events/wire.js";
export * from "./csv/index.js";
export * from "./http/index.js";
