/** The HTTP adapter's DELETE names the clearing user (getUser) in the chain's removal record. */
import { describe, expect, it } from "vitest";
import { createApiHandler } from "../../src/http/handler.js";
import { LogEventHub } from "../../src/hub.js";
import { MemoryStore } from "../../src/stores/memory/index.js";
import { batch } from "./tamper.js";

describe("DELETE /api/v1/log on a chained store", () => {
  it("records getUser's user as who cleared, and system when getUser fails or is absent", async () => {
    const store = new MemoryStore({ chain: true });
    const hub = new LogEventHub({ store });
    await store.appendLogs([...batch(2, "bob"), ...batch(2, "carol"), ...batch(2, "dave")]);
    const api = createApiHandler<{ session?: string }>(hub, {
      getUser: async (native) => {
        if (native.session === undefined) throw new Error("no session");
        return native.session;
      },
    });
    expect((await api({ method: "DELETE", path: "/api/v1/log", query: "user=bob", native: { session: "alice" } })).status).toBe(200);
    expect((await api({ method: "DELETE", path: "/api/v1/log", query: "user=carol", native: {} })).status).toBe(200);
    await createApiHandler(hub)({ method: "DELETE", path: "/api/v1/log", query: "user=dave" });
    expect((await store.readRemovals()).map((r) => r.user)).toEqual(["alice", "system", "system"]);
    expect(await hub.verifyLogs()).toMatchObject({ ok: true });
    await hub.close();
  });
});
