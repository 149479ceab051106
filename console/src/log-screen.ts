/** The Log screen: filters, a newest-first table with paging and the total, and the CSV download. */
import { apiUrl, getJson, type LogJson } from "./api.js";
import { h, replace, uid } from "./dom.js";
import { CATEGORIES, filterQuery, LEVELS, PAGE_SIZES, pageQuery, viewFromParams, viewToParams, type LogView } from "./log-filter.js";
import { formatTime, fromInputValue, toInputValue, zoneName } from "./time.js";

/** The screen's element and how to show a view of it. */
export interface Screen {
  readonly element: HTMLElement;
  /** Shows the screen for the URL's parameters. */
  show(params: URLSearchParams): void;
}

/** Builds the Log screen; `navigate` puts a new view into the URL. */
export function logScreen(navigate: (params: URLSearchParams) => void): Screen {
  let view = viewFromParams(new URLSearchParams());
  let sequence = 0;
  /** The URL hash of the view shown, set once its rows are on screen (tests wait for it). */
  let hash = "";

  const field = (label: string, input: HTMLInputElement | HTMLSelectElement) => {
    input.id = uid("f");
    return h("div", { class: "field" }, h("label", { for: input.id }, label), input);
  };
  const checks = (legend: string, name: string, values: readonly string[]) =>
    h(
      "fieldset",
      { class: "checks" },
      h("legend", {}, legend),
      values.map((value) => h("label", { class: "check" }, h("input", { type: "checkbox", name, value }), ` ${value}`)),
    );

  const from = h("input", { type: "datetime-local", step: "1", name: "from" });
  const to = h("input", { type: "datetime-local", step: "1", name: "to" });
  const utc = h("input", { type: "checkbox", name: "utc", id: uid("utc") });
  const user = h("input", { type: "text", name: "user", autocomplete: "off", spellcheck: "false" });
  const text = h("input", { type: "search", name: "text", autocomplete: "off" });
  const levels = checks("Levels", "level", LEVELS);
  const categories = checks("Categories", "category", CATEGORIES);
  const zone = h("span", { class: "zone" });

  const form = h(
    "form",
    { class: "filters", role: "search", "aria-label": "Filter the log" },
    h("fieldset", { class: "range" }, h("legend", {}, "Time range ", zone), field("From", from), field("To", to), h("label", { class: "check", for: utc.id }, utc, " Times in UTC")),
    levels,
    categories,
    h("div", { class: "texts" }, field("User", user), field("Text", text)),
    h("div", { class: "buttons" }, h("button", { type: "submit" }, "Apply filters"), h("button", { type: "button", class: "secondary", onclick: () => navigate(new URLSearchParams()) }, "Reset")),
  );

  const read = (): LogView => ({
    from: fromInputValue(from.value, view.utc),
    to: fromInputValue(to.value, view.utc),
    levels: [...levels.querySelectorAll<HTMLInputElement>("input:checked")].map((i) => i.value),
    categories: [...categories.querySelectorAll<HTMLInputElement>("input:checked")].map((i) => i.value),
    user: user.value.trim(),
    text: text.value,
    utc: view.utc,
    page: 1,
    size: view.size,
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    navigate(viewToParams(read()));
  });
  // The switch changes how times are shown and typed, not which records match.
  utc.addEventListener("change", () => navigate(viewToParams({ ...view, utc: utc.checked })));

  const summary = h("p", { class: "summary", role: "status", "aria-live": "polite" });
  const download = h("a", { class: "button", download: "", id: "csv-download" }, "Download CSV");
  const timeHeader = h("th", { scope: "col" }, "Time");
  const rows = h("tbody");
  const table = h(
    "table",
    { class: "log" },
    h("caption", { class: "visually-hidden" }, "Activity log, newest first"),
    h("thead", {}, h("tr", {}, timeHeader, h("th", { scope: "col" }, "Level"), h("th", { scope: "col" }, "Category"), h("th", { scope: "col" }, "User"), h("th", { scope: "col" }, "Message"))),
    rows,
  );
  const newer = h("button", { type: "button", class: "secondary", onclick: () => navigate(viewToParams({ ...view, page: view.page - 1 })) }, "← Newer");
  const older = h("button", { type: "button", class: "secondary", onclick: () => navigate(viewToParams({ ...view, page: view.page + 1 })) }, "Older →");
  const pageLabel = h("span", { class: "page" });
  const size = h(
    "select",
    { name: "size", onchange: () => navigate(viewToParams({ ...view, page: 1, size: Number(size.value) })) },
    PAGE_SIZES.map((n) => h("option", { value: n }, String(n))),
  );
  const pager = h("nav", { class: "pager", "aria-label": "Pages" }, newer, pageLabel, older, field("Per page", size));

  // On a phone the filters fold away (unless some are set); on a wide screen they are open.
  const filterCount = h("span", { class: "muted" });
  const filters = h("details", { class: "filter-box" }, h("summary", {}, "Filters ", filterCount), form);
  filters.open = window.matchMedia("(min-width: 40rem)").matches;

  const element = h(
    "section",
    { class: "screen", "aria-labelledby": "log-title" },
    h("h2", { id: "log-title" }, "Activity log"),
    filters,
    h("div", { class: "toolbar" }, summary, download),
    h("div", { class: "table-wrap", role: "region", "aria-label": "Activity log table", tabindex: 0 }, table),
    pager,
  );

  function fill(): void {
    from.value = toInputValue(view.from, view.utc);
    to.value = toInputValue(view.to, view.utc);
    utc.checked = view.utc;
    for (const box of levels.querySelectorAll<HTMLInputElement>("input")) box.checked = view.levels.includes(box.value);
    for (const box of categories.querySelectorAll<HTMLInputElement>("input")) box.checked = view.categories.includes(box.value);
    user.value = view.user;
    text.value = view.text;
    size.value = String(view.size);
    const active = [view.from, view.to].filter((t) => t !== undefined).length + view.levels.length + view.categories.length + (view.user ? 1 : 0) + (view.text ? 1 : 0);
    filterCount.textContent = active ? `(${active} set)` : "";
    if (active) filters.open = true;
    zone.textContent = `(${zoneName(view.utc)})`;
    timeHeader.textContent = `Time (${zoneName(view.utc)})`;
    // Exactly the filtered view, every page of it: the same filter parameters, no limit.
    const csv = filterQuery(view);
    download.href = apiUrl("api/v1/log/export", csv.size ? csv : undefined);
  }

  async function load(): Promise<void> {
    const mine = ++sequence;
    summary.textContent = "Loading…";
    element.setAttribute("aria-busy", "true");
    try {
      const { body, response } = await getJson<LogJson[]>("api/v1/log", pageQuery(view));
      if (mine !== sequence) return;
      const header = response.headers.get("X-Total-Count");
      const total = header === null ? undefined : Number(header);
      replace(
        rows,
        body.map((r) =>
          h(
            "tr",
            { "data-id": r.id },
            h("td", { class: "time" }, formatTime(r.ts, view.utc)),
            h("td", {}, h("span", { class: `level level-${r.level.toLowerCase()}` }, r.level)),
            h("td", {}, r.category),
            h("td", {}, r.user),
            h("td", { class: "message" }, r.message),
          ),
        ),
      );
      const first = (view.page - 1) * view.size;
      const pages = total === undefined ? undefined : Math.max(1, Math.ceil(total / view.size));
      summary.textContent =
        body.length === 0
          ? total === undefined || total === 0
            ? "No records match."
            : `No records on this page (${total} match).`
          : `Records ${first + 1}–${first + body.length}${total === undefined ? "" : ` of ${total}`}`;
      pageLabel.textContent = pages === undefined ? `Page ${view.page}` : `Page ${view.page} of ${pages}`;
      newer.disabled = view.page <= 1;
      older.disabled = pages === undefined ? body.length < view.size : view.page >= pages;
      element.dataset.hash = hash;
      // The first rows on screen, for the bench's time-to-first-rows (Performance API).
      if (performance.getEntriesByName("log-event-hub:first-rows").length === 0) performance.mark("log-event-hub:first-rows");
    } catch (error) {
      if (mine !== sequence) return;
      replace(rows);
      summary.textContent = `Could not load the log: ${(error as Error).message}`;
    } finally {
      if (mine === sequence) element.removeAttribute("aria-busy");
    }
  }

  return {
    element,
    show(params) {
      view = viewFromParams(params);
      hash = location.hash;
      fill();
      void load();
    },
  };
}
