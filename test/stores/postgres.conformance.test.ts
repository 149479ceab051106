import { afterAll, describe } from "vitest";
import { PostgresStore } from "../../src/stores/postgres/index.js";
import { runStoreConformance } from "../conformance/index.js";
import { dropSchema, PG_URL, requirePostgres, uniqueSchema } from "./fixtures/postgres/env.js";

const available = await requirePostgres("test/stores/postgres.conformance.test.ts");
const schema = uniqueSchema("conformance");
let n = 0;

describe.skipIf(!available)("postgres", () => {
  afterAll(() => dropSchema(schema));
  // One schema for the file, a fresh table prefix per test: every test starts from an empty store.
  runStoreConformance("postgres", () => new PostgresStore({ connectionString: PG_URL, schema, tablePrefix: `t${++n}_` }));
});
