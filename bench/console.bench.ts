/**
 * The web console in a real browser (Debian's chromium through playwright-core, as the tests):
 * against the demo's app with a SQLite store of 1,000 records (test/console/fixtures.ts),
 *
 * - first load: bytes transferred over the network (everything the page loads: page, script,
 *   styles, the log's first page, the stream's first bytes) beside the console's files
 *   uncompressed; and the time from navigation to the first rows on screen (a performance
 *   mark the Log screen sets) beside the time of the log request alone in the same load;
 * - 1,000 feed events published at once: the time from the first one's arrival to the last one
 *   on screen, and the longest main-thread task meanwhile, beside the same 1,000 rows built
 *   and inserted in one synchronous loop (the DOM's own cost, a lower bound).
 *
 * `BENCH_CONSOLE_EVENTS` (default 1,000) sets the number of events; `LEH_CHROMIUM` the browser.
 */
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { CHROMIUM_PATH, chromiumInstalled, launchChromium } from "../test/console/browser.js";
import { publishEvent, seedLog, startConsoleServer } from "../test/console/fixtures.js";
import { quantile, scaled, type BenchRow } from "./harness.js";

const events = scaled(Number(process.env.BENCH_CONSOLE_EVENTS ?? 1000));

interface Window {
  logEventHubConsole: { feed: { onEvent(listener: () => void): void } };
  benchFirstEvent?: number;
  benchLastEvent?: number;
  benchLongest?: number;
}

export default async function consoleBench(): Promise<BenchRow[]> {
  const suite = "web console (chromium)";
  if (!chromiumInstalled) {
    return [{ suite, case: "skipped", value: Number.NaN, unit: "", note: `no browser at ${CHROMIUM_PATH} (scripts/setup-chromium.sh)` }];
  }
  const server = await startConsoleServer();
  const { context, close } = await launchChromium();
  try {
    await seedLog(server.hub, 1000);
    const page = await context.newPage();

    // First load, nothing cached (a fresh profile), bytes counted by the DevTools protocol.
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
    // Finished responses report their total; the event stream never finishes, so its bytes are
    // counted as they arrive.
    let bytes = 0;
    let streamed = 0;
    const streams = new Set<string>();
    cdp.on("Network.requestWillBeSent", (event: { requestId: string; request: { url: string } }) => {
      if (event.request.url.includes("/api/v1/event/stream")) streams.add(event.requestId);
    });
    cdp.on("Network.loadingFinished", (event: { encodedDataLength: number }) => (bytes += event.encodedDataLength));
    cdp.on("Network.dataReceived", (event: { requestId: string; encodedDataLength: number }) => {
      if (streams.has(event.requestId)) streamed += event.encodedDataLength;
    });
    await page.goto(`${server.url}/`);
    await page.waitForFunction(() => performance.getEntriesByName("log-event-hub:first-rows").length > 0);
    await page.waitForLoadState("networkidle").catch(() => undefined);
    const timing = await page.evaluate(() => {
      const rows = performance.getEntriesByName("log-event-hub:first-rows")[0]!.startTime;
      const log = performance.getEntriesByType("resource").find((e) => /\/api\/v1\/log\?/.test(e.name)) as PerformanceResourceTiming | undefined;
      return { rows, log: log ? log.responseEnd - log.startTime : Number.NaN };
    });
    const transferred = bytes + streamed;
    const streamedAtLoad = streamed;
    // The same load again with the browser warm (its processes up; the cache still off): median of 5.
    const warm: { rows: number; log: number }[] = [];
    for (let i = 0; i < 5; i++) {
      await page.reload();
      await page.waitForFunction(() => performance.getEntriesByName("log-event-hub:first-rows").length > 0);
      warm.push(
        await page.evaluate(() => {
          const log = performance.getEntriesByType("resource").find((e) => /\/api\/v1\/log\?/.test(e.name)) as PerformanceResourceTiming | undefined;
          return { rows: performance.getEntriesByName("log-event-hub:first-rows")[0]!.startTime, log: log ? log.responseEnd - log.startTime : Number.NaN };
        }),
      );
    }
    const median = (values: number[]) => quantile(values, 0.5);
    const rawFiles = ["index.html", "console.js", "console.css"].map((f) => join(server.consoleDir, f)).filter(existsSync).reduce((sum, f) => sum + statSync(f).size, 0);

    // 1,000 feed events: the Live feed screen, events published as fast as the hub takes them.
    await page.goto(`${server.url}/#/feed`);
    await page.waitForSelector('.status[data-status="live"]');
    await page.evaluate(() => {
      const w = window as unknown as Window;
      w.benchLongest = 0;
      w.logEventHubConsole.feed.onEvent(() => {
        w.benchFirstEvent ??= performance.now();
        w.benchLastEvent = performance.now();
      });
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) w.benchLongest = Math.max(w.benchLongest ?? 0, entry.duration);
      }).observe({ type: "longtask" });
    });
    await Promise.all(Array.from({ length: events }, () => publishEvent(server.hub)));
    await page.waitForFunction((n) => Number(document.querySelector<HTMLElement>("section[aria-labelledby=feed-title]")?.dataset.rendered ?? 0) >= n, events, { polling: "raf", timeout: 120_000 });
    const feed = await page.evaluate(() => {
      const w = window as unknown as Window;
      const now = performance.now();
      return { ms: now - (w.benchFirstEvent ?? now), lag: now - (w.benchLastEvent ?? now), longest: w.benchLongest ?? 0 };
    });
    // The lower bound: the same number of rows built and inserted in one loop.
    const direct = await page.evaluate((n) => {
      const start = performance.now();
      const tbody = document.createElement("tbody");
      for (let i = 0; i < n; i++) {
        const tr = document.createElement("tr");
        for (const text of [String(i), "12:00:00", "image", "all", "lxc update"]) {
          const td = document.createElement("td");
          td.textContent = text;
          tr.append(td);
        }
        tbody.append(tr);
      }
      document.querySelector("table.feed")!.append(tbody);
      void document.body.offsetHeight; // force layout, as a frame would
      const ms = performance.now() - start;
      tbody.remove();
      return ms;
    }, events);

    return [
      { suite, case: "first load: bytes transferred", value: transferred, unit: "B", baseline: rawFiles, baselineName: "console files uncompressed", better: "lower", note: `gzip; includes the log's first page and ${streamedAtLoad} B of the stream` },
      { suite, case: "first load: navigation to first rows", value: timing.rows, unit: "ms", baseline: timing.log, baselineName: "the log request alone", better: "lower", note: "1,000 records, 20 per page; a new browser" },
      { suite, case: "reload: navigation to first rows (median of 5)", value: median(warm.map((w) => w.rows)), unit: "ms", baseline: median(warm.map((w) => w.log)), baselineName: "the log request alone", better: "lower", note: "the browser warm, its cache off" },
      { suite, case: `${events} feed events: first arrival to all on screen`, value: feed.ms, unit: "ms", baseline: direct, baselineName: "same rows in one DOM loop", better: "lower", note: `includes the server's publishing; ${feed.lag.toFixed(0)} ms from the last arrival to the screen; longest main-thread task ${feed.longest.toFixed(0)} ms` },
    ];
  } finally {
    await close();
    await server.close();
  }
}
