/**
 * In-memory sessions for the demo: `POST /api/v1/login` hands out a random session id in a
 * cookie, and `getUser` reads it back. Enough for `curl -c cookies.txt` / `-b cookies.txt`;
 * a real host uses its own authentication.
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";

/** The cookie carrying the session id. */
export const SESSION_COOKIE = "hub_session";

/** Reads one cookie from a `Cookie` header (`a=1; b=2`), or `undefined`. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    const raw = part.slice(eq + 1).trim().replace(/^"(.*)"$/, "$1");
    try {
      return decodeURIComponent(raw);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Session id -> user name, bounded so a client looping on login cannot grow it without end. */
export class Sessions {
  private readonly users = new Map<string, string>();

  constructor(private readonly max = 10_000) {}

  /** Starts a session for `user`; returns its id (128 random bits). */
  create(user: string): string {
    const id = randomBytes(16).toString("base64url");
    this.users.set(id, user);
    // Maps iterate in insertion order: drop the oldest session first.
    if (this.users.size > this.max) this.users.delete(this.users.keys().next().value as string);
    return id;
  }

  /** Ends the request's session, if any; returns its user. */
  end(req: IncomingMessage): string | undefined {
    const id = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (id === undefined) return undefined;
    const user = this.users.get(id);
    this.users.delete(id);
    return user;
  }

  /** The user of the request's session cookie, or `undefined` (anonymous). */
  userOf(req: IncomingMessage): string | undefined {
    const id = readCookie(req.headers.cookie, SESSION_COOKIE);
    return id === undefined ? undefined : this.users.get(id);
  }

  /** The `Set-Cookie` value for a session id (`undefined`: expire the cookie). */
  cookie(id: string | undefined): string {
    const base = `${SESSION_COOKIE}=${id ?? ""}; Path=/; HttpOnly; SameSite=Lax`;
    return id === undefined ? `${base}; Max-Age=0` : base;
  }
}
