/**
 * The log-event-hub console: plain TypeScript and DOM, bundled into one script. Screens are
 * chosen by the URL's hash (`#/log?level=ERROR`, `#/feed`, `#/containers`), so every view can
 * be bookmarked and the host only serves static files.
 */
import { containersScreen } from "./containers-screen.js";
import { h } from "./dom.js";
import { FeedConnection } from "./feed.js";
import { feedScreen } from "./feed-screen.js";
import { identity } from "./identity.js";
import { logScreen, type Screen } from "./log-screen.js";

const feed = new FeedConnection();
const go = (name: string) => (params: URLSearchParams) => {
  const query = params.toString();
  location.hash = `#/${name}${query ? `?${query}` : ""}`;
};
const screens: Record<string, { title: string; screen: Screen }> = {
  log: { title: "Log", screen: logScreen(go("log")) },
  feed: { title: "Live feed", screen: feedScreen(feed) },
  containers: { title: "Containers", screen: containersScreen(feed) },
};

const links = Object.entries(screens).map(([name, { title }]) => h("a", { href: `#/${name}`, "data-screen": name }, title));
const main = h("main", { id: "main", tabindex: "-1" });
document.body.append(
  h("a", { class: "skip", href: "#main", onclick: (e: Event) => (e.preventDefault(), main.focus()) }, "Skip to content"),
  h(
    "header",
    { class: "top" },
    h("h1", {}, "Activity log & events"),
    h("nav", { "aria-label": "Screens" }, h("ul", {}, links.map((a) => h("li", {}, a)))),
    identity(() => feed.open()),
  ),
  main,
);

let current = "";
function route(): void {
  const match = /^#\/([a-z]+)(?:\?(.*))?$/.exec(location.hash);
  const name = match && match[1]! in screens ? match[1]! : "log";
  const { title, screen } = screens[name]!;
  if (name !== current) {
    main.replaceChildren(screen.element);
    for (const a of links) {
      if (a.dataset.screen === name) a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    }
    document.title = `${title} · log-event-hub`;
    if (current !== "") main.focus();
    current = name;
  }
  screen.show(new URLSearchParams(match?.[2] ?? ""));
}
window.addEventListener("hashchange", route);
route();
feed.open();
// For tests and the bench: the shared connection's state.
(window as unknown as { logEventHubConsole: unknown }).logEventHubConsole = { feed };
