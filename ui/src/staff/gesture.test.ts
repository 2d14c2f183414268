import { describe, expect, it, vi } from "vitest";
import { CORNER_PX, TAPS, WINDOW_MS, cornerTaps } from "./gesture";

/** A tap handler and how many times it opened the PIN pad. */
function gesture() {
  const open = vi.fn();
  return { tap: cornerTaps(open), open };
}

describe("the staff corner gesture", () => {
  it("opens the PIN pad on the fifth corner tap within the window", () => {
    const { tap, open } = gesture();
    for (let i = 0; i < TAPS - 1; i++) tap(10, 10, i * 500);
    expect(open, "four taps are not enough").not.toHaveBeenCalled();
    tap(10, 10, 2000);
    expect(open).toHaveBeenCalledTimes(1);
  });

  it("counts a tap on the corner's edge but not one pixel beyond it", () => {
    const edge = gesture();
    for (let i = 0; i < TAPS; i++) edge.tap(CORNER_PX, CORNER_PX, i);
    expect(edge.open).toHaveBeenCalledTimes(1);

    for (const [x, y] of [[CORNER_PX + 1, 0], [0, CORNER_PX + 1]] as const) {
      const beyond = gesture();
      for (let i = 0; i < TAPS; i++) beyond.tap(x, y, i);
      expect(beyond.open, `a tap at (${x}, ${y}) is outside the corner`).not.toHaveBeenCalled();
    }
  });

  it("starts over when a visitor touches anywhere else in between", () => {
    const { tap, open } = gesture();
    for (let i = 0; i < TAPS - 1; i++) tap(0, 0, i);
    tap(500, 500, 10);
    tap(0, 0, 11);
    expect(open, "the taps before the touch elsewhere no longer count").not.toHaveBeenCalled();
    for (let i = 0; i < TAPS - 1; i++) tap(0, 0, 12 + i);
    expect(open).toHaveBeenCalledTimes(1);
  });

  it("forgets taps older than the window, so slow tapping never opens it", () => {
    const { tap, open } = gesture();
    for (let i = 0; i < 20; i++) tap(0, 0, i * (WINDOW_MS / (TAPS - 1)));
    expect(open, "no five taps fall inside one window").not.toHaveBeenCalled();
  });

  it("needs five new taps to open it again", () => {
    const { tap, open } = gesture();
    for (let i = 0; i < TAPS; i++) tap(0, 0, i);
    for (let i = 0; i < TAPS - 1; i++) tap(0, 0, 100 + i);
    expect(open).toHaveBeenCalledTimes(1);
    tap(0, 0, 200);
    expect(open).toHaveBeenCalledTimes(2);
  });
});
