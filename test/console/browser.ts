/**
 * The real browser the console tests and the bench drive: Debian's `chromium` (installed by
 * scripts/setup-chromium.sh) through playwright-core, which downloads nothing. Each launch gets
 * a fresh profile folder, removed on close.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";

/** Where Debian's package puts the browser; `LEH_CHROMIUM` overrides it. */
export const CHROMIUM_PATH = process.env.LEH_CHROMIUM ?? "/usr/bin/chromium";

/** Whether the browser is installed. */
export const chromiumInstalled = existsSync(CHROMIUM_PATH);

/** Flags for a quiet, offline-friendly headless run in a container as root. */
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * Launches the browser with a fresh profile folder (its `--user-data-dir`, a persistent
 * context in playwright's terms); `close()` also removes the folder.
 */
export async function launchChromium(options: { timezoneId?: string } = {}): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), "leh-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true, // playwright's own --headless as well as ours
    args: CHROMIUM_FLAGS,
    acceptDownloads: true,
    viewport: { width: 1280, height: 900 },
    ...options,
  });
  return {
    context,
    close: async () => {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
