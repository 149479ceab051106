/**
 * `log-event-hub/testing`: helpers for hosts that unit-test their own code against a hub: a
 * simulated container runtime with the seed's containers, and a clock that moves only when told.
 *
 * @packageDocumentation
 */
export { SimulatedRuntime, SEED_CONTAINERS } from "../runtimes/simulated/index.js";
export type { SimulatedContainer, SimulatedRuntimeOptions, SimulatedActionOptions } from "../runtimes/simulated/index.js";
export type { ActivitySink, ContainerAction, ContainerRef } from "../runtimes/activity.js";
export { ManualClock, SEED_EPOCH_US } from "./clock.js";
