/**
 * Renders executor events for people: one line per finished instance and, on a terminal, a live
 * progress bar on stderr driven by the stages' `ctx.progress`.
 *
 * @module
 */
import { estimateRemaining, type EtaNode, formatEta, recordedCosts } from "./eta.ts";
import type { ReproEvent } from "./execute.ts";

/** What the reporter needs to estimate the time left (see `eta.ts`). */
export interface ReporterEta {
  /** The graph's instances, in graph order. */
  readonly nodes: readonly EtaNode[];
  /** Instances expected to run (not up to date, not restorable). */
  readonly pending: ReadonlySet<string>;
  /** Recorded seconds by instance (the timing record's means); the others are estimated. */
  readonly costs: ReadonlyMap<string, number>;
  /** Workers. */
  readonly jobs: number;
}

/** Options for {@linkcode ConsoleReporter}. */
export interface ReporterOptions {
  /** Where instance lines go. */
  readonly writeLine: (line: string) => void;
  /** Where the bar goes (omit: no bar). */
  readonly writeBar?: (text: string) => void;
  /** Number of instances in the run (for the bar). */
  readonly total: number;
  /** Time-left estimates: printed first, then on the bar and after each instance that ran. */
  readonly eta?: ReporterEta;
  /** Clock in seconds (default `performance.now() / 1000`; tests pass their own). */
  readonly now?: () => number;
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
  #pending: Set<string>;
  #startedAt = new Map<string, number>();
  // Seconds of the instances that ran in this run: records for the estimate, beside the timing
  // record's (a first run on a machine estimates after its first few).
  #learned = new Map<string, number>();
  #estimated: ReadonlyMap<string, number> | undefined;

  /** Builds a reporter; with `eta`, writes the first estimate line at once. */
  constructor(options: ReporterOptions) {
    this.#opts = options;
    this.#pending = new Set(options.eta?.pending ?? []);
    if (options.eta && this.#pending.size) options.writeLine(`estimate: ${this.etaText()}`);
  }

  /** The current time-left line (`about 12 min left at 2 jobs`), or "" without estimates. */
  etaText(): string {
    const eta = this.#opts.eta;
    if (!eta) return "";
    const now = this.#now();
    const elapsed = new Map([...this.#startedAt].map(([n, t]) => [n, now - t]));
    return formatEta(
      estimateRemaining(eta.nodes, this.#pending, this.#costs(eta), eta.jobs, elapsed),
    );
  }

  // Recomputed only when an instance ran, not on every redraw of the bar.
  #costs(eta: ReporterEta): ReadonlyMap<string, number> {
    this.#estimated ??= recordedCosts(eta.nodes, new Map([...eta.costs, ...this.#learned]));
    return this.#estimated;
  }

  #now(): number {
    return this.#opts.now?.() ?? performance.now() / 1000;
  }

  /** Handles one event. */
  handle(ev: ReproEvent): void {
    if (ev.type === "start") {
      this.#startedAt.set(ev.name, this.#now());
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
      this.#startedAt.delete(ev.name);
      const wasPending = this.#pending.delete(ev.name);
      if (ev.outcome === "ran") {
        this.#learned.set(ev.name, ev.seconds);
        this.#estimated = undefined;
      }
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
      const left = wasPending && ev.outcome === "ran" && this.#pending.size
        ? ` (${this.etaText()})`
        : "";
      this.#opts.writeLine(`${LABEL[ev.outcome]}${ev.name}${note}${dur}${left}`);
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
    const eta = this.#opts.eta && this.#pending.size ? ` · ${this.etaText()}` : "";
    const text = `[${"#".repeat(filled)}${
      "-".repeat(width - filled)
    }] ${this.#finished}/${this.#opts.total}${eta} ${parts.join(", ")}${more}`;
    write(`\r\x1b[2K${text.slice(0, Math.max(10, cols - 1))}`);
    this.#barShown = true;
  }
}
