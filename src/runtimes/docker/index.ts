/**
 * `log-event-hub/docker`: a container runtime over Docker Engine's HTTP API (or podman's
 * Docker-compatible service), spoken directly over the unix socket with `node:http`, and a
 * bridge that turns the engine's events into the seed's log records and events.
 *
 * @packageDocumentation
 */
export { DockerRuntime, mapDockerState } from "./runtime.js";
export type { DockerRuntimeOptions, DockerStopOptions } from "./runtime.js";
export { bridgeDockerEvents } from "./bridge.js";
export type { DockerBridgeOptions, DockerEventSource } from "./bridge.js";
export { EngineClient, EngineErrorMessages, resolveEndpoint } from "./engine.js";
export type { EngineClientOptions, EngineEndpoint, EngineFailure, EngineResponse, EngineRequestOptions } from "./engine.js";
export { EngineEventStream } from "./events.js";
export type { EngineEvent, ReconnectOptions, EngineEventStreamOptions } from "./events.js";
export { reportContainerAction } from "../activity.js";
export type { ActivitySink, ContainerAction, ContainerRef, ContainerReportOptions } from "../activity.js";
