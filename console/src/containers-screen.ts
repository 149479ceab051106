/**
 * The Containers screen: the host's containers (`GET api/v1/container`) with their state, and
 * start/stop/restart (`PUT api/v1/container/{type}/{id}/{action}`), each followed by the wait
 * route (`GET api/v1/event/wait/{type}/{id}/{state}?duration=`) whose answer says whether the
 * state was reached or the wait timed out. A host that does not list containers gets a form to
 * add them by type and id; their state comes from the wait route with `duration=0`.
 */
import { ApiError, getJson, request, type ContainerJson } from "./api.js";
import { h, replace, uid } from "./dom.js";
import type { FeedConnection } from "./feed.js";
import type { Screen } from "./log-screen.js";

/** Seconds an action waits for its state before reporting a timeout. */
export const WAIT_SECONDS = 30;
const ACTIONS = [
  { action: "start", label: "Start", target: "running" },
  { action: "stop", label: "Stop", target: "stopped" },
  { action: "restart", label: "Restart", target: "running" },
] as const;
const WATCHED_KEY = "log-event-hub.console.containers";

const path = (...segments: string[]) => segments.map(encodeURIComponent).join("/");

/** Builds the Containers screen; it refreshes when the feed reports a container change. */
export function containersScreen(feed: FeedConnection): Screen {
  let listed = true;
  let containers: ContainerJson[] = [];
  let sequence = 0;
  const busy = new Set<string>();

  const outcome = h("p", { class: "outcome", role: "status", "aria-live": "polite" });
  const rows = h("tbody");
  const note = h("p", { class: "notice", hidden: true });
  const typeSelect = h("select", { id: uid("type"), name: "type" }, h("option", { value: "lxc" }, "lxc"), h("option", { value: "docker" }, "docker"));
  const idInput = h("input", { id: uid("id"), name: "id", type: "text", required: true, autocomplete: "off", spellcheck: "false" });
  const addForm = h(
    "form",
    { class: "add", hidden: true, "aria-label": "Add a container" },
    h("div", { class: "field" }, h("label", { for: typeSelect.id }, "Type"), typeSelect),
    h("div", { class: "field" }, h("label", { for: idInput.id }, "Container name or id"), idInput),
    h("div", { class: "buttons" }, h("button", { type: "submit" }, "Add")),
  );
  addForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const id = idInput.value.trim();
    if (!id) return;
    const watched = readWatched().filter((w) => !(w.type === typeSelect.value && w.id === id));
    watched.push({ type: typeSelect.value, id });
    localStorage.setItem(WATCHED_KEY, JSON.stringify(watched));
    idInput.value = "";
    void load();
  });
  const refresh = h("button", { type: "button", class: "secondary", onclick: () => void load() }, "Refresh");

  const element = h(
    "section",
    { class: "screen", "aria-labelledby": "containers-title" },
    h("h2", { id: "containers-title" }, "Containers"),
    h("div", { class: "toolbar" }, outcome, refresh),
    note,
    addForm,
    h(
      "div",
      { class: "table-wrap", role: "region", "aria-label": "Containers table", tabindex: 0 },
      h(
        "table",
        { class: "containers" },
        h("caption", { class: "visually-hidden" }, "Containers and their state"),
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Name"), h("th", { scope: "col" }, "Type"), h("th", { scope: "col" }, "State"), h("th", { scope: "col" }, "Image"), h("th", { scope: "col" }, "Actions"))),
        rows,
      ),
    ),
  );

  function render(): void {
    replace(
      rows,
      containers.length === 0 ? h("tr", {}, h("td", { colspan: 5 }, listed ? "No containers." : "No containers added yet.")) : null,
      containers.map((c) => {
        const key = `${c.type}/${c.id}`;
        return h(
          "tr",
          { "data-container": `${c.type}/${c.name}` },
          h("th", { scope: "row" }, c.name, c.name !== c.id ? h("span", { class: "muted" }, ` ${c.id.slice(0, 12)}`) : null),
          h("td", {}, c.type),
          h("td", {}, h("span", { class: `state state-${c.state}` }, c.state)),
          h("td", {}, c.image ?? ""),
          h(
            "td",
            { class: "actions" },
            ACTIONS.map(({ action, label, target }) =>
              h(
                "button",
                {
                  type: "button",
                  class: "secondary",
                  "aria-label": `${label} ${c.name}`,
                  disabled: busy.has(key),
                  onclick: () => void act(c, action, target, label),
                },
                label,
              ),
            ),
          ),
        );
      }),
    );
  }

  async function inspect(type: string, id: string): Promise<ContainerJson> {
    try {
      // duration=0: the wait route answers the current info at once.
      return (await getJson<ContainerJson>(`api/v1/event/wait/${path(type, id, "running")}`, new URLSearchParams({ duration: "0" }))).body;
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return { type, id, name: id, state: "unknown" };
      throw error;
    }
  }

  async function load(): Promise<void> {
    const mine = ++sequence;
    try {
      let next: ContainerJson[];
      try {
        next = (await getJson<ContainerJson[]>("api/v1/container")).body;
        listed = true;
      } catch (error) {
        if (!(error instanceof ApiError) || (error.status !== 404 && error.status !== 405)) throw error;
        listed = false;
        next = await Promise.all(readWatched().map((w) => inspect(w.type, w.id)));
      }
      if (mine !== sequence) return;
      containers = next;
      note.hidden = listed;
      addForm.hidden = listed;
      note.textContent = listed ? "" : "This server does not list its containers. Add the ones to follow by type and name; this browser remembers them.";
      render();
      element.dataset.loaded = String(mine);
    } catch (error) {
      if (mine !== sequence) return;
      outcome.textContent = `Could not load the containers: ${(error as Error).message}`;
    }
  }

  async function act(c: ContainerJson, action: string, target: string, label: string): Promise<void> {
    const key = `${c.type}/${c.id}`;
    busy.add(key);
    render();
    outcome.textContent = `${label} ${c.name}…`;
    try {
      await request("PUT", `api/v1/container/${path(c.type, c.id, action)}`);
      outcome.textContent = `${label} ${c.name}: waiting for ${target}…`;
      const { body } = await getJson<ContainerJson>(`api/v1/event/wait/${path(c.type, c.id, target)}`, new URLSearchParams({ duration: String(WAIT_SECONDS) }));
      outcome.textContent =
        body.state === target ? `${c.name} is ${target}.` : `Timed out after ${WAIT_SECONDS} s waiting for ${c.name} to be ${target}: it is ${body.state}.`;
      outcome.dataset.outcome = body.state === target ? "reached" : "timeout";
    } catch (error) {
      outcome.textContent = `${label} ${c.name} failed: ${(error as Error).message}`;
      outcome.dataset.outcome = "error";
    } finally {
      busy.delete(key);
      await load();
    }
  }

  let pendingRefresh: ReturnType<typeof setTimeout> | undefined;
  feed.onEvent((event) => {
    if (event.category !== "container" || !element.isConnected) return;
    clearTimeout(pendingRefresh);
    pendingRefresh = setTimeout(() => void load(), 200);
  });

  return {
    element,
    show() {
      void load();
    },
  };
}

function readWatched(): { type: string; id: string }[] {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(WATCHED_KEY) ?? "[]");
    return Array.isArray(parsed) ? parsed.filter((w): w is { type: string; id: string } => typeof w?.type === "string" && typeof w?.id === "string") : [];
  } catch {
    return [];
  }
}
