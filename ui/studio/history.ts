// Undo/redo for the studio's drafts: whole snapshots, not diffs — the drafts
// are a few kB, and a snapshot cannot drift from what the user saw. Records
// with the same coalesce key in quick succession merge, so typing a word is
// one undo step rather than one per key.

/** Records closer together than this (ms) with the same key are one step. */
export const COALESCE_MS = 1000;

export class History<T> {
  private past: T[] = [];
  private future: T[] = [];
  private current: T;
  private base: string;
  private lastKey: string | undefined;
  private lastAt = 0;

  /** `now` is injectable for tests; real use takes the wall clock. */
  constructor(
    initial: T,
    private readonly now: () => number = () => Date.now(),
  ) {
    this.current = initial;
    this.base = JSON.stringify(initial);
  }

  get value(): T {
    return this.current;
  }

  get canUndo(): boolean {
    return this.past.length > 0;
  }

  get canRedo(): boolean {
    return this.future.length > 0;
  }

  /** Whether the current snapshot differs from the last reset (the saved state). */
  get dirty(): boolean {
    return JSON.stringify(this.current) !== this.base;
  }

  record(next: T, coalesceKey?: string): void {
    const at = this.now();
    const merge =
      coalesceKey !== undefined && coalesceKey === this.lastKey && at - this.lastAt < COALESCE_MS && this.past.length > 0;
    if (!merge) this.past.push(this.current);
    this.current = next;
    this.future = [];
    this.lastKey = coalesceKey;
    this.lastAt = at;
  }

  undo(): T | undefined {
    const prev = this.past.pop();
    if (prev === undefined) return undefined;
    this.future.push(this.current);
    this.current = prev;
    this.lastKey = undefined;
    return prev;
  }

  redo(): T | undefined {
    const next = this.future.pop();
    if (next === undefined) return undefined;
    this.past.push(this.current);
    this.current = next;
    this.lastKey = undefined;
    return next;
  }

  /** Forget all steps; `base` is now the saved state that `dirty` compares with. */
  reset(base: T): void {
    this.past = [];
    this.future = [];
    this.current = base;
    this.base = JSON.stringify(base);
    this.lastKey = undefined;
  }
}
