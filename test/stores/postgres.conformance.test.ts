import { runStoreConformance } from "log-event-hub/conformance";
import { PostgresStore } from "log-event-hub/postgres";
import { fileURLToPath } from "node:url";
import { afterAll, describe, it } from "vitest";
import { TSX_ARGS } from "../helpers/tsx.js";
import { dropSchema, PG_URL, requirePostgres, uniqueSchema } from "./fixtures/postgres/env.js";

const available = await requirePostgres("test/stores/postgres.conformance.test.ts");
const schema = uniqueSchema("conformance");
const writer = fileURLToPath(new URL("./fixtures/conformance-writer.ts", import.meta.url));
let n = 0;

describe.skipIf(!available)("postgres", () => {
  afterAll(() => dropSchema(schema));
  // One schema for the file, a fresh table prefix per store (or shared data set): every test
  // starts from an empty store.
  runStoreConformance(
    { describe, it },
    {
      name: "postgres",
      makeStore: () => new PostgresStore({ connectionString: PG_URL, schema, tablePrefix: `t${++n}_` }),
      shared: {
        create: () => `${schema}/s${++n}_`,
        open: (location) => {
          const [s, tablePrefix] = location.split("/") as [string, string];
          return new PostgresStore({ connectionString: PG_URL, schema: s, tablePrefix });
        },
        writerProcess: { command: process.execPath, args: [...TSX_ARGS, writer], env: { LEH_TEST_WRITER_STORE: "postgres", LEH_PG_URL: PG_URL } },
      },
    },
  );
});
