/**
 * Opens an HTML file in Debian's headless Chromium over the DevTools protocol (a localhost
 * WebSocket) and reports console errors, uncaught exceptions, failed or external requests, the
 * figures found on the page, and a full-page screenshot.
 *
 * @module
 */

/** The Chromium binary on PATH, or `null` when none is installed. */
export async function findChromium(): Promise<string | null> {
  for (const name of ["chromium", "chromium-browser", "google-chrome"]) {
    try {
      const out = await new Deno.Command("sh", {
        args: ["-c", `command -v ${name}`],
        stdout: "piped",
        stderr: "null",
      }).output();
      const path = new TextDecoder().decode(out.stdout).trim();
      if (out.success && path) return path;
    } catch {
      // no shell: treat as absent
    }
  }
  return null;
}

/** What the page did. */
export interface PageReport {
  /** Console errors, uncaught exceptions, log errors and failed loads. */
  errors: string[];
  /** Requests to anything but `file:`, `data:` or `about:`. */
  externalRequests: string[];
  /** Every `figure.fig` element: its id, whether it holds an `svg`, and the svg's rendered size. */
  figures: { id: string; hasSvg: boolean; width: number; height: number }[];
  /** The document title. */
  title: string;
}

// CDP messages are loosely typed JSON.
// deno-lint-ignore no-explicit-any
type Loose = any;

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--remote-debugging-port=0",
];

/** Loads `file` (an absolute path) in Chromium, saves a PNG screenshot, reports what it saw. */
export async function inspectPage(
  chromium: string,
  file: string,
  options: { screenshot: string; width?: number; timeoutMs?: number },
): Promise<PageReport> {
  const userDataDir = await Deno.makeTempDir({ prefix: "quarry_chromium_" });
  const child = new Deno.Command(chromium, {
    args: [...FLAGS, `--user-data-dir=${userDataDir}`, "about:blank"],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const timeout = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }, options.timeoutMs ?? 60_000);
  let socket: WebSocket | undefined;
  try {
    const wsUrl = await devtoolsUrl(child.stderr);
    socket = new WebSocket(wsUrl);
    await new Promise((resolve, reject) => {
      socket!.onopen = resolve;
      socket!.onerror = () => reject(new Error(`Cannot connect to Chromium at ${wsUrl}`));
    });
    const cdp = new Cdp(socket);
    const report: PageReport = { errors: [], externalRequests: [], figures: [], title: "" };
    cdp.onEvent = (method, params) => recordEvent(report, method, params as Loose);
    const s = await openTab(cdp, options.width ?? 1200);
    const loaded = cdp.waitFor("Page.loadEventFired", s.sessionId);
    await s.send("Page.navigate", { url: new URL(`file://${file}`).href });
    await loaded;
    Object.assign(report, await pageFigures(s.send));
    const shot = await s.send("Page.captureScreenshot", {
      format: "png",
      captureBeyondViewport: true,
    }) as { data: string };
    await Deno.writeFile(options.screenshot, decodeBase64(shot.data));
    await cdp.send("Browser.close").catch(() => undefined);
    return report;
  } finally {
    clearTimeout(timeout);
    socket?.close();
    try {
      child.kill("SIGKILL");
    } catch {
      // already exited
    }
    await child.status;
    await Deno.remove(userDataDir, { recursive: true }).catch(() => undefined);
  }
}

/** Adds what a DevTools event says went wrong (or went out) to `report`. */
function recordEvent(report: PageReport, method: string, p: Loose): void {
  if (method === "Runtime.exceptionThrown") {
    report.errors.push(
      `exception: ${p.exceptionDetails?.exception?.description ?? p.exceptionDetails?.text}`,
    );
  } else if (method === "Runtime.consoleAPICalled" && (p.type === "error" || p.type === "assert")) {
    report.errors.push(
      `console.${p.type}: ${p.args?.map((a: Loose) => a.value ?? a.description).join(" ")}`,
    );
  } else if (method === "Log.entryAdded" && p.entry?.level === "error") {
    report.errors.push(`log: ${p.entry.text} ${p.entry.url ?? ""}`.trim());
  } else if (method === "Network.loadingFailed") {
    report.errors.push(`load failed: ${p.errorText}`);
  } else if (method === "Network.requestWillBeSent") {
    const url = String(p.request?.url ?? "");
    if (!/^(file|data|about):/.test(url)) report.externalRequests.push(url);
  }
}

type Send = (method: string, params?: Record<string, unknown>) => Promise<unknown>;

/** A new blank tab with the domains we listen to enabled, `width` pixels wide. */
async function openTab(cdp: Cdp, width: number): Promise<{ sessionId: string; send: Send }> {
  const { targetId } = await cdp.send("Target.createTarget", { url: "about:blank" }) as {
    targetId: string;
  };
  const { sessionId } = await cdp.send("Target.attachToTarget", { targetId, flatten: true }) as {
    sessionId: string;
  };
  const send: Send = (method, params = {}) => cdp.send(method, params, sessionId);
  for (const domain of ["Runtime", "Log", "Network", "Page"]) await send(`${domain}.enable`);
  await send("Emulation.setDeviceMetricsOverride", {
    width,
    height: 900,
    deviceScaleFactor: 1,
    mobile: false,
  });
  return { sessionId, send };
}

/** The loaded page's title and its `figure.fig` elements with their svg's rendered size. */
async function pageFigures(send: Send): Promise<Pick<PageReport, "title" | "figures">> {
  const evaluated = await send("Runtime.evaluate", {
    returnByValue: true,
    expression: `JSON.stringify({
      title: document.title,
      figures: [...document.querySelectorAll("figure.fig")].map((f) => {
        const svg = f.querySelector("svg");
        const r = svg ? svg.getBoundingClientRect() : { width: 0, height: 0 };
        return { id: f.id, hasSvg: !!svg, width: r.width, height: r.height };
      }),
    })`,
  }) as { result: { value: string } };
  const page = JSON.parse(evaluated.result.value);
  return { title: page.title, figures: page.figures };
}

/** Reads Chromium's stderr until it prints its DevTools WebSocket URL; keeps draining after. */
async function devtoolsUrl(stderr: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (true) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`Chromium exited before DevTools started:\n${text.slice(-2000)}`);
    text += value;
    const m = /DevTools listening on (ws:\/\/\S+)/.exec(text);
    if (m) {
      (async () => {
        try {
          while (!(await reader.read()).done) { /* drain */ }
        } catch {
          // closed
        }
      })();
      return m[1]!;
    }
  }
}

function decodeBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** A minimal Chrome DevTools Protocol client: numbered requests, events to one callback. */
class Cdp {
  #socket: WebSocket;
  #next = 1;
  #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #waiters: { method: string; sessionId?: string; resolve: () => void }[] = [];
  onEvent: (method: string, params: unknown) => void = () => {};

  constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.onmessage = (e) => {
      const msg = JSON.parse(String(e.data));
      if (typeof msg.id === "number") {
        const p = this.#pending.get(msg.id);
        this.#pending.delete(msg.id);
        if (msg.error) p?.reject(new Error(`CDP error: ${JSON.stringify(msg.error)}`));
        else p?.resolve(msg.result);
        return;
      }
      this.onEvent(msg.method, msg.params);
      this.#waiters = this.#waiters.filter((w) => {
        if (
          w.method === msg.method && (w.sessionId === undefined || w.sessionId === msg.sessionId)
        ) {
          w.resolve();
          return false;
        }
        return true;
      });
    };
  }

  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<unknown> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#socket.send(
        JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }),
      );
    });
  }

  waitFor(method: string, sessionId?: string): Promise<void> {
    return new Promise((resolve) => this.#waiters.push({ method, sessionId, resolve }));
  }
}
