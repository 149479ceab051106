/**
 * Who you are: the demo's login (`POST api/v1/login` with a user name, `GET api/v1/login` for
 * the session's user, `POST api/v1/logout`). A host whose API has no login route identifies
 * users itself (its `getUser`); the console then only says so.
 */
import { ApiError, getJson, request } from "./api.js";
import { h, replace, uid } from "./dom.js";

/** Builds the identity area; `changed` is called after a login or logout. */
export function identity(changed: () => void): HTMLElement {
  const element = h("div", { class: "identity" });
  const message = h("span", { class: "error", role: "alert" });

  async function refresh(): Promise<void> {
    let user: string | null;
    try {
      user = (await getJson<{ user: string | null }>("api/v1/login")).body.user;
    } catch (error) {
      if (error instanceof ApiError && (error.status === 404 || error.status === 405)) {
        replace(element, h("span", { class: "muted" }, "Signed in by the host"));
        return;
      }
      replace(element, h("span", { class: "muted" }, "Unknown user"));
      return;
    }
    if (user) {
      replace(
        element,
        h("span", { class: "who" }, "Signed in as ", h("strong", { id: "current-user" }, user)),
        h("button", { type: "button", class: "secondary", onclick: () => void send("api/v1/logout") }, "Sign out"),
      );
      return;
    }
    const input = h("input", { id: uid("login"), name: "username", type: "text", required: true, maxlength: 128, autocomplete: "username" });
    const form = h(
      "form",
      { class: "login", "aria-label": "Sign in" },
      h("label", { for: input.id }, "User name"),
      input,
      h("button", { type: "submit" }, "Sign in"),
      message,
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      void send("api/v1/login", { username: input.value.trim() });
    });
    replace(element, h("span", { class: "muted" }, "Anonymous"), form);
  }

  async function send(path: string, body?: Record<string, string>): Promise<void> {
    try {
      await request("POST", path, undefined, body);
      message.textContent = "";
      await refresh();
      changed();
    } catch (error) {
      message.textContent = (error as Error).message;
    }
  }

  void refresh();
  return element;
}
