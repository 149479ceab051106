import { MemoryStore } from "../../src/stores/memory/index.js";
import { runStoreConformance } from "../conformance/index.js";

runStoreConformance("memory", () => new MemoryStore());
