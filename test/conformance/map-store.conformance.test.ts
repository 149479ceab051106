// The example store of docs/stores.md ("Writing a store") through the published suite, and the
// guide's copy of it checked against the file: if the guide's store breaks the contract or the
// guide shows something else, this fails.
import { readFileSync } from "node:fs";
import { runStoreConformance } from "log-event-hub/conformance";
import { describe, expect, it } from "vitest";
import { MapStore } from "../../examples/stores/map-store.js";

runStoreConformance({ describe, it }, { name: "map store (docs example)", makeStore: () => new MapStore() });

it("docs/stores.md shows examples/stores/map-store.ts exactly", () => {
  const guide = readFileSync(new URL("../../docs/stores.md", import.meta.url), "utf8");
  const file = readFileSync(new URL("../../examples/stores/map-store.ts", import.meta.url), "utf8");
  const shown = /<!-- example: examples\/stores\/map-store\.ts -->\n```ts\n([\s\S]*?)```\n/.exec(guide)?.[1];
  expect(shown).toBe(file);
});
