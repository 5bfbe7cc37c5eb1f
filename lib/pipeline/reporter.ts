/**
 * Renders executor events for people: one line per finished instance and, on a terminal, a live
 * progress bar on stderr driven by the stages' `ctx.progress`.
 *
 * @module
 */
import type { ReproEvent } from "./execute.ts";

/** Options for {@linkcode ConsoleReporter}. */
export interface ReporterOptions {
  /** Where instance lines go. */
  readonly writeLine: (line: string) => void;
  /** Where the bar goes (omit: no bar). */
  readonly writeBar?: (text: string) => void;
  /** Number of instances in the run (for the bar). */
  readonly total: number;
}

const LABEL: Record<string, string> = {
  "ran": "ran      ",
  "restored": "cached   ",
  "up-to-date": "cached   ",
  "failed": "FAILED   ",
  "skipped": "skipped  ",
};

/** Turns events into lines and a bar. */
export class ConsoleReporter {
  #opts: ReporterOptions;
  #finished = 0;
  #running = new Map<string, { done: number; total: number }>();
  #lastBar = 0;
  #barShown = false;

  /** Builds a reporter. */
  constructor(options: ReporterOptions) {
    this.#opts = options;
  }

  /** Handles one event. */
  handle(ev: ReproEvent): void {
    if (ev.type === "start") {
      this.#running.set(ev.name, { done: 0, total: 0 });
      this.#drawBar(true);
    } else if (ev.type === "warning") {
      this.#clearBar();
      this.#opts.writeLine(`warning  ${ev.name}: ${ev.message}`);
      this.#drawBar(true);
    } else if (ev.type === "progress") {
      this.#running.set(ev.name, { done: ev.done, total: ev.total });
      this.#drawBar(false);
    } else {
      this.#running.delete(ev.name);
      this.#finished++;
      this.#clearBar();
      const note = ev.outcome === "restored"
        ? " (restored from cache)"
        : ev.outcome === "up-to-date"
        ? " (up to date)"
        : "";
      const dur = ev.outcome === "ran" || ev.outcome === "failed"
        ? ` ${ev.seconds.toFixed(2)} s`
        : "";
      this.#opts.writeLine(`${LABEL[ev.outcome]}${ev.name}${note}${dur}`);
      if (ev.error && ev.outcome === "failed") {
        this.#opts.writeLine(`  error: ${ev.error}`);
        const tail = (ev.log ?? "").trim().split("\n").slice(-15).filter((l) => l);
        for (const l of tail) this.#opts.writeLine(`  | ${l}`);
      } else if (ev.error && ev.outcome === "skipped") {
        this.#opts.writeLine(`  (${ev.error})`);
      }
      this.#drawBar(true);
    }
  }

  /** Removes the bar (call before exiting). */
  close(): void {
    this.#clearBar();
  }

  #clearBar(): void {
    if (this.#barShown && this.#opts.writeBar) {
      this.#opts.writeBar("\r\x1b[2K");
      this.#barShown = false;
    }
  }

  #drawBar(force: boolean): void {
    const write = this.#opts.writeBar;
    if (!write || !this.#running.size) return;
    const now = performance.now();
    if (!force && now - this.#lastBar < 100) return;
    this.#lastBar = now;
    const width = 24;
    const frac = this.#opts.total ? this.#finished / this.#opts.total : 0;
    const filled = Math.round(frac * width);
    const parts = [...this.#running].slice(0, 3).map(([n, p]) =>
      p.total > 0 ? `${n} ${Math.floor((100 * p.done) / p.total)}%` : n
    );
    const more = this.#running.size > 3 ? ` +${this.#running.size - 3}` : "";
    let cols = 100;
    try {
      cols = Deno.consoleSize().columns || 100;
    } catch {
      // not a terminal: keep the default
    }
    const text = `[${"#".repeat(filled)}${
      "-".repeat(width - filled)
    }] ${this.#finished}/${this.#opts.total} ${parts.join(", ")}${more}`;
    write(`\r\x1b[2K${text.slice(0, Math.max(10, cols - 1))}`);
    this.#barShown = true;
  }
}
