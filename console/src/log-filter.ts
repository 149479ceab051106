/**
 * The Log screen's view, as it lives in the URL (`#/log?level=WARN,ERROR&page=2`) so it can be
 * bookmarked, and as the API's query parameters.
 */

/** The levels the API knows. */
export const LEVELS = ["INFO", "WARN", "ERROR"] as const;
/** The seed's categories (a host may register more; they can still be typed into the URL). */
export const CATEGORIES = ["container", "image", "import", "export", "backup", "system"] as const;
/** Page sizes offered. */
export const PAGE_SIZES = [20, 50, 100] as const;

/** One view of the log. */
export interface LogView {
  /** Epoch seconds, inclusive. */
  from?: number | undefined;
  /** Epoch seconds, inclusive. */
  to?: number | undefined;
  levels: string[];
  categories: string[];
  user: string;
  text: string;
  /** Show and enter times in UTC instead of the browser's zone. */
  utc: boolean;
  /** 1-based. */
  page: number;
  size: number;
}

const list = (value: string | null) => (value ? value.split(",").filter((v) => v !== "") : []);
const seconds = (value: string | null) => (value !== null && /^\d{1,12}$/.test(value) ? Number(value) : undefined);
const positive = (value: string | null, fallback: number) => (value !== null && /^[1-9]\d{0,6}$/.test(value) ? Number(value) : fallback);

/** Reads a view from the URL's parameters (anything unreadable falls back to the default). */
export function viewFromParams(params: URLSearchParams): LogView {
  const size = positive(params.get("size"), 20);
  return {
    from: seconds(params.get("from")),
    to: seconds(params.get("to")),
    levels: list(params.get("level")).map((l) => l.toUpperCase()),
    categories: list(params.get("category")),
    user: params.get("user") ?? "",
    text: params.get("text") ?? "",
    utc: params.get("utc") === "1",
    page: positive(params.get("page"), 1),
    size: (PAGE_SIZES as readonly number[]).includes(size) ? size : 20,
  };
}

/** The URL parameters of a view (defaults left out, so URLs stay short). */
export function viewToParams(view: LogView): URLSearchParams {
  const params = new URLSearchParams();
  if (view.from !== undefined) params.set("from", String(view.from));
  if (view.to !== undefined) params.set("to", String(view.to));
  if (view.levels.length) params.set("level", view.levels.join(","));
  if (view.categories.length) params.set("category", view.categories.join(","));
  if (view.user) params.set("user", view.user);
  if (view.text) params.set("text", view.text);
  if (view.utc) params.set("utc", "1");
  if (view.page !== 1) params.set("page", String(view.page));
  if (view.size !== 20) params.set("size", String(view.size));
  return params;
}

/** The API's filter parameters of a view: the same for `GET api/v1/log` and its CSV export. */
export function filterQuery(view: LogView): URLSearchParams {
  const query = new URLSearchParams();
  if (view.from !== undefined) query.set("time_start", String(view.from));
  if (view.to !== undefined) query.set("time_end", String(view.to));
  if (view.levels.length) query.set("level", view.levels.join(","));
  if (view.categories.length) query.set("category", view.categories.join(","));
  if (view.user) query.set("user", view.user);
  if (view.text) query.set("text", view.text);
  return query;
}

/** `GET api/v1/log`'s parameters: the filter plus the page. */
export function pageQuery(view: LogView): URLSearchParams {
  const query = filterQuery(view);
  query.set("limit", String(view.size));
  if (view.page > 1) query.set("offset", String((view.page - 1) * view.size));
  return query;
}
