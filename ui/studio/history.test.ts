import { describe, expect, it } from "vitest";
import { History } from "./history";

function clock() {
  const c = { t: 0, now: () => c.t };
  return c;
}

describe("History", () => {
  it("undoes and redoes whole snapshots in order", () => {
    const h = new History({ n: 0 });
    h.record({ n: 1 });
    h.record({ n: 2 });
    expect(h.undo(), "undo returns the step before").toEqual({ n: 1 });
    expect(h.undo()).toEqual({ n: 0 });
    expect(h.canUndo, "nothing before the initial snapshot").toBe(false);
    expect(h.undo()).toBeUndefined();
    expect(h.redo()).toEqual({ n: 1 });
    expect(h.redo()).toEqual({ n: 2 });
    expect(h.canRedo).toBe(false);
    expect(h.value).toEqual({ n: 2 });
  });

  it("a new edit after undo drops the redo steps", () => {
    const h = new History("a");
    h.record("b");
    h.undo();
    expect(h.canRedo).toBe(true);
    h.record("c");
    expect(h.canRedo, "redo after a new edit would resurrect a discarded branch").toBe(false);
    expect(h.undo()).toBe("a");
  });

  it("typing a word (same key within 1 s) is one undo step", () => {
    const c = clock();
    const h = new History("", c.now);
    for (const s of ["h", "he", "hel", "hell", "hello"]) {
      c.t += 200;
      h.record(s, "event-title-en:e1");
    }
    expect(h.undo(), "one undo takes back the whole word").toBe("");
    expect(h.canUndo).toBe(false);
  });

  it("a pause of 1 s or a different key starts a new step", () => {
    const c = clock();
    const h = new History("", c.now);
    h.record("a", "k");
    c.t += 1000;
    h.record("ab", "k");
    c.t += 10;
    h.record("abc", "other");
    c.t += 10;
    h.record("abcd");
    c.t += 10;
    h.record("abcde");
    expect(h.undo(), "records without a key never merge").toBe("abcd");
    expect(h.undo(), "a different key is its own step").toBe("abc");
    expect(h.undo(), "a pause of a second splits the steps").toBe("ab");
    expect(h.undo()).toBe("a");
  });

  it("does not merge into a step across an undo", () => {
    const c = clock();
    const h = new History("", c.now);
    h.record("0");
    h.record("a", "k");
    h.record("ab", "k");
    expect(h.undo()).toBe("0");
    h.record("x", "k");
    expect(h.undo(), "after undo the next typed text is a step of its own").toBe("0");
  });

  it("dirty compares with the last reset by value", () => {
    const h = new History({ t: "x" });
    expect(h.dirty).toBe(false);
    h.record({ t: "y" });
    expect(h.dirty).toBe(true);
    h.record({ t: "x" });
    expect(h.dirty, "back to the saved text is not an unsaved change").toBe(false);
    h.reset({ t: "y" });
    expect(h.dirty).toBe(false);
    expect(h.canUndo, "saving forgets the steps").toBe(false);
    expect(h.canRedo).toBe(false);
    h.undo();
    expect(h.value).toEqual({ t: "y" });
  });
});
