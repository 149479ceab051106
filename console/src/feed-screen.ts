/** The Live feed screen: events as they arrive, newest first, batched into one DOM update per frame. */
import { h, replace } from "./dom.js";
import type { FeedConnection, FeedEvent, FeedStatus } from "./feed.js";
import type { Screen } from "./log-screen.js";
import { formatTime } from "./time.js";

/** Rows kept on screen; older ones are removed as new ones arrive. */
export const MAX_FEED_ROWS = 1000;
/** Rows added per frame at most, so a burst of events never blocks the page for long. */
const ROWS_PER_FRAME = 200;

const STATUS_TEXT: Record<FeedStatus, string> = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Connection lost, reconnecting… (no event will be missed)",
};

function summary(event: FeedEvent): string {
  const p = event.payload as Record<string, unknown> | null;
  if (p && typeof p === "object" && typeof p.container === "string" && typeof p.state === "string") {
    return `${String(p.type ?? "")} ${p.container} → ${p.state}`.trim();
  }
  return event.raw;
}

/** Builds the Live feed screen over the shared connection. */
export function feedScreen(feed: FeedConnection): Screen {
  const pending: FeedEvent[] = [];
  let received = 0;
  let lostTotal = 0;
  let frame = 0;

  const status = h("p", { class: "status", role: "status", "aria-live": "polite", "data-status": feed.status }, STATUS_TEXT[feed.status]);
  const lost = h("p", { class: "notice", role: "alert", hidden: true });
  const count = h("p", { class: "count" }, "No events since the console opened.");
  const rows = h("tbody");
  const clear = h("button", { type: "button", class: "secondary", onclick: () => replace(rows) }, "Clear list");
  const element = h(
    "section",
    { class: "screen", "aria-labelledby": "feed-title" },
    h("h2", { id: "feed-title" }, "Live feed"),
    h("div", { class: "toolbar" }, status, clear),
    lost,
    count,
    h(
      "div",
      { class: "table-wrap", role: "region", "aria-label": "Events table", tabindex: 0 },
      h(
        "table",
        { class: "feed" },
        h("caption", { class: "visually-hidden" }, "Events, newest first"),
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "#"), h("th", { scope: "col" }, "Time"), h("th", { scope: "col" }, "Category"), h("th", { scope: "col" }, "User"), h("th", { scope: "col" }, "Event"))),
        rows,
      ),
    ),
  );

  const schedule = () => {
    // One DOM update per frame however fast events come; a hidden tab has no frames, so a timer.
    if (frame === 0) frame = document.hidden ? window.setTimeout(flush, 100) : requestAnimationFrame(flush);
  };
  const flush = () => {
    frame = 0;
    // A burst longer than a frame's share is spread over frames; events beyond what the list
    // keeps are never drawn.
    if (pending.length > MAX_FEED_ROWS) pending.splice(0, pending.length - MAX_FEED_ROWS);
    const now = pending.splice(0, ROWS_PER_FRAME);
    const batch = document.createDocumentFragment();
    for (let i = now.length - 1; i >= 0; i--) {
      const e = now[i]!;
      const time = e.ts === undefined ? new Date().toLocaleTimeString() : formatTime(e.ts, false);
      batch.append(h("tr", { "data-id": e.id }, h("td", {}, e.id), h("td", { class: "time" }, time), h("td", {}, e.category), h("td", {}, e.user), h("td", { class: "message" }, summary(e))));
    }
    rows.prepend(batch);
    while (rows.rows.length > MAX_FEED_ROWS) rows.lastElementChild!.remove();
    count.textContent = `${received} event${received === 1 ? "" : "s"} since the console opened${received > MAX_FEED_ROWS ? ` (the newest ${MAX_FEED_ROWS} shown)` : ""}.`;
    element.dataset.rendered = String(received - pending.length);
    if (pending.length > 0) schedule();
  };

  feed.onEvent((event) => {
    received += 1;
    pending.push(event);
    schedule();
  });
  feed.onStatus((s) => {
    status.textContent = STATUS_TEXT[s];
    status.dataset.status = s;
  });
  feed.onLost((n) => {
    lostTotal += n;
    lost.hidden = false;
    lost.textContent = `${lostTotal} event${lostTotal === 1 ? " was" : "s were"} lost: removed by the server's retention before this console could read ${lostTotal === 1 ? "it" : "them"}.`;
  });

  return { element, show() {} };
}
