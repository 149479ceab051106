/**
 * The console's only way out: the seed's API routes under the base the page was served with
 * (`<meta name="log-event-hub-api">`, relative to the page; default the page's own folder).
 */

const meta = document.querySelector<HTMLMetaElement>('meta[name="log-event-hub-api"]');
const base = new URL(meta?.content || "./", document.baseURI);

/** The absolute URL of an API path such as `api/v1/log`, with query parameters. */
export function apiUrl(path: string, query?: URLSearchParams): string {
  const url = new URL(path, base);
  if (query) url.search = query.toString();
  return url.href;
}

/** An API answer that was not a success, with the API's error message when it sent one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** Sends a request; resolves with the response, rejects with {@link ApiError} for a non-2xx status. */
export async function request(method: string, path: string, query?: URLSearchParams, body?: Record<string, string>): Promise<Response> {
  const init: RequestInit = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body) {
    init.body = JSON.stringify(body);
    init.headers = { Accept: "application/json", "Content-Type": "application/json" };
  }
  let response: Response;
  try {
    response = await fetch(apiUrl(path, query), init);
  } catch {
    throw new ApiError(0, "The server could not be reached");
  }
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    let code: string | undefined;
    try {
      const parsed = (await response.json()) as { error?: { code?: string; message?: string } };
      if (parsed.error?.message) message = parsed.error.message;
      code = parsed.error?.code;
    } catch {
      // Not the API's JSON error: keep the status line.
    }
    throw new ApiError(response.status, message, code);
  }
  return response;
}

/** GETs JSON. */
export async function getJson<T>(path: string, query?: URLSearchParams): Promise<{ body: T; response: Response }> {
  const response = await request("GET", path, query);
  return { body: (await response.json()) as T, response };
}

/** One log record as the seed's JSON has it. */
export interface LogJson {
  id: number;
  ts: number;
  level: string;
  category: string;
  user: string;
  message: string;
}

/** A container as the host's list route or the wait route answers it. */
export interface ContainerJson {
  type: string;
  id: string;
  name: string;
  state: string;
  image?: string;
}
