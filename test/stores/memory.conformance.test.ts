import { MemoryStore } from "log-event-hub";
import { runStoreConformance } from "log-event-hub/conformance";
import { describe, it } from "vitest";

runStoreConformance({ describe, it }, { name: "memory", makeStore: () => new MemoryStore() });
