/**
 * Mounting the API into an existing Express 5 app, under `/hub`:
 *
 *     npx tsx examples/express/server.ts
 *     curl -s "http://127.0.0.1:3000/hub/api/v1/log?limit=5"
 *     open http://127.0.0.1:3000/hub/   # the web console (after `npm run build`)
 *
 * The reader of the event feed comes from the `X-User` header here; a real host reads its
 * session or token instead.
 */
import express from "express";
import { answerClientErrors, LogEventHub } from "log-event-hub";
import { serveConsole } from "log-event-hub/console";
import { hubErrorHandler, hubRouter } from "./hub-router.js";

const hub = new LogEventHub();
await hub.info("system", "Example server started");

const app = express();
app.disable("x-powered-by");
app.use((_req, res, next) => {
  res.setHeader("X-Content-Type-Options", "nosniff");
  next();
});
app.get("/", (_req, res) => {
  res.type("text").send("The console is at /hub/, the activity log under /hub/api/v1/log\n");
});
// The web console's files at /hub/ (other paths go on), then the API under the same prefix;
// the console shows a filtered log's total from X-Total-Count.
app.use("/hub", serveConsole(), hubRouter(hub, { getUser: (req) => req.get("x-user"), totalCountHeader: true }));
// Last: errors Express raises itself answer JSON, not an HTML page with a stack trace.
app.use(hubErrorHandler());

const port = Number(process.env.PORT ?? 3000);
const server = app.listen(port, "127.0.0.1", () => {
  console.log(`Listening on http://127.0.0.1:${port}/hub/api/v1/log`);
});
// Requests Node's HTTP parser refuses get the JSON error body too.
answerClientErrors(server);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    server.close();
    // Ends pending long polls, so their connections close and the server can stop.
    void hub.close();
  });
}
