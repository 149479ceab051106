// The example store of docs/stores.md ("Writing a store") through the published suite, exactly
// as the guide shows it: if the guide's store breaks the contract, this fails.
import { runStoreConformance } from "log-event-hub/conformance";
import { describe, it } from "vitest";
import { MapStore } from "../../examples/stores/map-store.js";

runStoreConformance({ describe, it }, { name: "map store (docs example)", makeStore: () => new MapStore() });
