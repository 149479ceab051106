/**
 * Mounting the API into an existing Koa 3 app, under `/hub`:
 *
 *     npx tsx examples/koa/server.ts
 *     curl -s "http://127.0.0.1:3000/hub/api/v1/log?limit=5"
 *     open http://127.0.0.1:3000/hub/   # the web console (after `npm run build`)
 *
 * The reader of the event feed comes from the `X-User` header here; a real host reads its
 * session or token instead.
 */
import Koa from "koa";
import { answerClientErrors, LogEventHub } from "log-event-hub";
import { serveConsole } from "log-event-hub/console";
import { hubErrors, hubMiddleware } from "./hub-middleware.js";

const hub = new LogEventHub();
await hub.info("system", "Example server started");

const app = new Koa();
// First: any error a later middleware throws answers JSON; nosniff on every answer.
app.use(hubErrors());
app.use(async (ctx, next) => {
  ctx.set("X-Content-Type-Options", "nosniff");
  await next();
});
// The web console's files at /hub/: serveConsole answers at once or calls next synchronously.
const consoleFiles = serveConsole({ prefix: "/hub" });
app.use(async (ctx, next) => {
  let passed = false;
  consoleFiles(ctx.req, ctx.res, () => (passed = true));
  if (passed) return next();
  ctx.respond = false; // answered
});
// The console shows a filtered log's total from X-Total-Count.
app.use(hubMiddleware(hub, { prefix: "/hub", getUser: (ctx) => ctx.get("x-user"), totalCountHeader: true }));
app.use((ctx) => {
  ctx.body = "The console is at /hub/, the activity log under /hub/api/v1/log\n";
});

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
