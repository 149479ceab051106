import { describe, expectTypeOf, it } from "vitest";
import { LogEventHub, type BackgroundErrorCode, type BackgroundTaskError, type HubEvent, type LogRecord } from "../../src/index.js";

describe("types", () => {
  it("host categories are typed through a generic, not string", () => {
    const hub = new LogEventHub({ categories: ["audit"] as const });
    expectTypeOf(hub.info).parameter(0).toEqualTypeOf<"container" | "image" | "import" | "export" | "backup" | "system" | "audit">();
    // @ts-expect-error an unregistered category does not typecheck
    void hub.info("network", "x");
    expectTypeOf(hub.queryLogs).returns.resolves.toEqualTypeOf<LogRecord<"container" | "image" | "import" | "export" | "backup" | "system" | "audit">[]>();
  });

  it("publish is a discriminated union over categories and payloads", () => {
    const hub = new LogEventHub<never, { backup: { job: string; ok: boolean } }>({ eventCategories: ["backup"] });
    void hub.publish({ category: "container", user: "all", payload: { container: "utest", type: "lxc", state: "start" } });
    void hub.publish({ category: "backup", user: "alice", payload: { job: "nightly", ok: true } });
    // @ts-expect-error a container state outside the seed's table
    void hub.publish({ category: "container", user: "all", payload: { container: "utest", type: "lxc", state: "explode" } });
    // @ts-expect-error the wrong payload for a host category
    void hub.publish({ category: "backup", user: "all", payload: { job: 1 } });
  });

  it("listeners are typed", () => {
    const hub = new LogEventHub();
    hub.on("log", (record) => expectTypeOf(record.id).toEqualTypeOf<number>());
    hub.on("event", (event) => {
      if (event.category === "image") expectTypeOf(event.payload.action).toEqualTypeOf<"download" | "delete" | "update">();
    });
    // @ts-expect-error unknown event name
    hub.on("nope", () => undefined);
    expectTypeOf<HubEvent>().toHaveProperty("index");
  });

  it("the error event is typed: a BackgroundTaskError with a stable code (issue 12)", () => {
    const hub = new LogEventHub();
    const onError = (error: BackgroundTaskError) => {
      expectTypeOf(error.code).toEqualTypeOf<BackgroundErrorCode>();
      expectTypeOf(error.task).toEqualTypeOf<"retention" | "relay">();
    };
    hub.on("error", onError).once("error", onError).off("error", onError);
    // @ts-expect-error an error listener does not receive events
    hub.on("error", (error: HubEvent) => void error);
    // @ts-expect-error no such hub event
    hub.on("failure", () => {});
  });

  it("what parseLogQuery and parseExportQuery return is accepted without casts (issue 19)", () => {
    const hub = new LogEventHub();
    const query = hub.parseLogQuery(new URLSearchParams("level=WARN&category=container"));
    void hub.queryLogs(query);
    void hub.countLogs(query);
    void hub.clearLogs(query);
    void hub.exportCsv(query);
    void hub.exportCsv(hub.parseExportQuery(new URLSearchParams("limit=5000")));
    const { limit, offset: _offset, beforeId: _beforeId, ...filter } = query;
    void hub.exportCsv({ ...filter, limit });

    const audited = new LogEventHub({ categories: ["audit"] as const });
    const parsed = audited.parseLogQuery({ category: "audit" });
    expectTypeOf(parsed.category).toEqualTypeOf<("container" | "image" | "import" | "export" | "backup" | "system" | "audit")[] | undefined>();
    void audited.queryLogs(parsed);
    void audited.exportCsv(audited.parseExportQuery({ category: "audit" }));
  });
});
