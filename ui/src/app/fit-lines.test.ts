import { describe, expect, it } from "vitest";
import { linesThatFit, squeezed } from "./fit-lines";

describe("a topic card's excerpt in whole lines", () => {
  it("keeps the lines that fit whole, never more than the layout's", () => {
    expect(linesThatFit(100, 27, 4)).toBe(3);
    expect(linesThatFit(108, 27, 4)).toBe(4);
    expect(linesThatFit(500, 27, 4)).toBe(4);
    // A rounding hair short of a line still counts it whole.
    expect(linesThatFit(80.6, 27, 4)).toBe(3);
    expect(linesThatFit(20, 27, 4)).toBe(0);
    expect(linesThatFit(-5, 27, 4)).toBe(0);
  });

  it("leaves the layout's lines when the line height is unknown", () => {
    expect(linesThatFit(100, Number.NaN, 3)).toBe(3);
    expect(linesThatFit(100, 0, 3)).toBe(3);
  });

  it("tells an excerpt squeezed below its lines from one whose text is short or has room", () => {
    // Cut through a line, or squeezed to whole lines (the ellipsis on a hidden line), or to nothing.
    expect(squeezed(95, 27, 4, true)).toBe(true);
    expect(squeezed(81, 27, 4, true)).toBe(true);
    expect(squeezed(0, 27, 4, true)).toBe(true);
    // A hair too short for the text's own three lines: cut, though nothing seems to run on (whole pixels).
    expect(squeezed(100.7, 34.5, 3, false)).toBe(true);
    // All its lines, clamped with an ellipsis; or a short text that shows whole.
    expect(squeezed(108, 27, 4, true)).toBe(false);
    expect(squeezed(54, 27, 4, false)).toBe(false);
    expect(squeezed(95, Number.NaN, 4, true)).toBe(false);
  });
});
