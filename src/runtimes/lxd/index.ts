/**
 * `log-event-hub/lxd`: a container runtime over LXD's REST API (the seed's `lxc` containers),
 * spoken directly over the daemon's unix socket, and a bridge that turns LXD's lifecycle events
 * into the seed's log records and events. The event stream is a WebSocket through the optional
 * peer dependency `ws`, loaded on first use.
 *
 * @packageDocumentation
 */
export { LxdRuntime, mapLxdState } from "./runtime.js";
export type { LxdRuntimeOptions, LxdStopOptions } from "./runtime.js";
export { bridgeLxdEvents } from "./bridge.js";
export type { LxdBridgeOptions, LxdEventSource } from "./bridge.js";
export { LxdClient, DEFAULT_LXD_SOCKET, resolveLxdEndpoint } from "./client.js";
export type { LxdEndpoint, LxdLogger, LxdResponse, LxdRequestOptions, LxdOperationResult } from "./client.js";
export { LxdEventStream } from "./events.js";
export type { LxdLifecycleEvent, LxdReconnectOptions, LxdEventStreamOptions } from "./events.js";
export { loadWebSocket } from "./websocket.js";
export type { WebSocketLike, WebSocketConstructorLike } from "./websocket.js";
export { reportContainerAction } from "../activity.js";
export type { ActivitySink, ContainerAction, ContainerRef, ContainerReportOptions } from "../activity.js";
