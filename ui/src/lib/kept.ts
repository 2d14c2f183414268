// What the screens show from the content bundle, fetched over IPC once and
// kept, so that a touch shows the new screen at once: with the data fetched
// on the touch, the screen is drawn twice (empty, then filled) and the IPC
// round trip lies between the finger and the finished screen
// (kiosk-glass-bench: home → music and home → signup took 44 and 53 ms,
// home → topic, whose text was kept, 33). A new bundle makes all of it
// stale: `forgetKept()` (app/content.ts).

const all = new Set<{ forget(): void }>();

/** Values fetched by `fetch`, kept per arguments until forgotten (a failed fetch is not kept). */
export class Kept<A extends string[], T> {
  readonly #fetch: (...args: A) => Promise<T>;
  readonly #ready = new Map<string, T>();
  readonly #pending = new Map<string, Promise<T>>();
  /** Moves on at each `forget`: a fetch begun before it is not kept after it. */
  #generation = 0;

  constructor(fetch: (...args: A) => Promise<T>) {
    this.#fetch = fetch;
    all.add(this);
  }

  /** The value if it is already here. */
  peek(...args: A): T | undefined {
    return this.#ready.get(args.join("\u0000"));
  }

  /** The value, kept or fetched (one fetch for callers that ask meanwhile). */
  load(...args: A): Promise<T> {
    const k = args.join("\u0000");
    const have = this.#ready.get(k);
    if (have !== undefined) return Promise.resolve(have);
    let p = this.#pending.get(k);
    if (!p) {
      const generation = this.#generation;
      const current = () => generation === this.#generation;
      p = this.#fetch(...args).then(
        (v) => {
          if (current()) {
            this.#ready.set(k, v);
            this.#pending.delete(k);
          }
          return v;
        },
        (e: unknown) => {
          if (current()) this.#pending.delete(k);
          throw e;
        },
      );
      this.#pending.set(k, p);
    }
    return p;
  }

  /** Fetches in the background; a failure waits for the screen that needs the value. */
  preload(...args: A): void {
    this.load(...args).catch(() => undefined);
  }

  /** Forgets what is kept (and what is being fetched). */
  forget(): void {
    this.#generation += 1;
    this.#ready.clear();
    this.#pending.clear();
  }
}

/** New content was switched in: everything kept is stale. */
export function forgetKept(): void {
  for (const k of all) k.forget();
}
