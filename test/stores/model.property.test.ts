/**
 * The model-based property suite (test/properties/store-model.ts) against every store: memory,
 * SQLite on a real file, PostgreSQL on the real server. Budgets keep CI to well under a minute;
 * `LEH_PROPERTY_RUNS=2000 LEH_PROPERTY_SEED=$RANDOM npx vitest run test/stores/model.property.test.ts`
 * explores further.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { MemoryStore } from "../../src/stores/memory/index.js";
import { PostgresStore } from "../../src/stores/postgres/index.js";
import { SqliteStore } from "../../src/stores/sqlite/index.js";
import { storeModelProperty } from "../properties/store-model.js";
import { dropSchema, PG_URL, requirePostgres, uniqueSchema } from "./fixtures/postgres/env.js";

const hooks = { beforeAll, afterAll, expect };
const TIMEOUT = { timeout: 120_000 };

describe("store model: memory", TIMEOUT, () => {
  storeModelProperty("memory", () => new MemoryStore(), 150, hooks);
});

describe("store model: sqlite", TIMEOUT, () => {
  const dir = mkdtempSync(join(tmpdir(), "leh-sqlite-model-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  storeModelProperty("sqlite", () => new SqliteStore({ filename: join(dir, "model.db") }), 100, hooks);
});

const pgAvailable = await requirePostgres("test/stores/model.property.test.ts");
describe.skipIf(!pgAvailable)("store model: postgres", TIMEOUT, () => {
  const schema = uniqueSchema("model");
  afterAll(() => dropSchema(schema));
  storeModelProperty("postgres", () => new PostgresStore({ connectionString: PG_URL, schema }), 60, hooks);
});
