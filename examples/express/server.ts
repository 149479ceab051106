/**
 * Mounting the API into an existing Express 5 app, under `/hub`:
 *
 *     npx tsx examples/express/server.ts
 *     curl -s "http://127.0.0.1:3000/hub/api/v1/log?limit=5"
 *
 * The reader of the event feed comes from the `X-User` header here; a real host reads its
 * session or token instead.
 */
import express from "express";
import { LogEventHub } from "log-event-hub";
import { hubRouter } from "./hub-router.js";

const hub = new LogEventHub();
await hub.info("system", "Example server started");

const app = express();
app.get("/", (_req, res) => {
  res.type("text").send("The activity log is under /hub/api/v1/log\n");
});
app.use("/hub", hubRouter(hub, { getUser: (req) => req.get("x-user") }));

const port = Number(process.env.PORT ?? 3000);
const server = app.listen(port, "127.0.0.1", () => {
  console.log(`Listening on http://127.0.0.1:${port}/hub/api/v1/log`);
});

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    server.close();
    // Ends pending long polls, so their connections close and the server can stop.
    void hub.close();
  });
}
