import { describe, expect, it } from "vitest";
import { cardArea, cardLayout, MIN_ROW_REM, type Orientation } from "./layout";

const SCREENS: [Orientation, boolean, string][] = [
  ["landscape", false, "landscape beside the events panel"],
  ["landscape", true, "landscape across the whole width"],
  ["portrait", false, "portrait"],
];
const COUNTS = Array.from({ length: 12 }, (_, i) => i + 1);

describe("the home screen's topic cards", () => {
  it("feature a lone topic: one card filling the space, with its excerpt", () => {
    for (const [orientation, wide] of SCREENS) {
      expect(cardLayout(1, orientation, wide)).toMatchObject({ columns: 1, density: "feature" });
      expect(cardLayout(1, orientation, wide).excerptLines).toBeGreaterThan(4);
    }
  });

  it("lay out the Kazakhstan demo's three topics as three large cards side by side, one per row in portrait", () => {
    expect(cardLayout(3, "landscape", false)).toMatchObject({ columns: 3, density: "large", excerptLines: 7 });
    expect(cardLayout(3, "portrait", false)).toMatchObject({ columns: 1, density: "large" });
  });

  for (const [orientation, wide, where] of SCREENS) {
    const area = cardArea(orientation, wide);
    it(`fit 1 to 12 topics without scrolling, ${where}`, () => {
      for (const n of COUNTS) {
        const { columns, minRowRem } = cardLayout(n, orientation, wide);
        const rows = Math.ceil(n / columns);
        const height = rows * minRowRem + (rows - 1) * area.gap;
        expect(height, `${n} topics: ${rows} rows of at least ${minRowRem} rem`).toBeLessThanOrEqual(area.height);
      }
    });

    it(`leave no empty column and no card too narrow for a title, ${where}`, () => {
      for (const n of COUNTS) {
        const { columns } = cardLayout(n, orientation, wide);
        expect(columns, `${n} topics`).toBeGreaterThanOrEqual(1);
        expect(columns, `${n} topics in ${columns} columns`).toBeLessThanOrEqual(n);
        const width = (area.width - (columns - 1) * area.gap) / columns;
        expect(width, `${n} topics: a card ${width} rem wide`).toBeGreaterThanOrEqual(18);
      }
    });

    it(`get smaller, never larger, as topics are added, ${where}`, () => {
      const order = ["feature", "large", "medium", "small"];
      for (const n of COUNTS.slice(1)) {
        const before = order.indexOf(cardLayout(n - 1, orientation, wide).density);
        expect(order.indexOf(cardLayout(n, orientation, wide).density), `${n - 1} → ${n} topics`).toBeGreaterThanOrEqual(before);
      }
    });
  }

  it("stay large touch targets however many there are (64 px is 3.2 rem)", () => {
    for (const [orientation, wide] of SCREENS) {
      for (const n of [...COUNTS, 40]) expect(cardLayout(n, orientation, wide).minRowRem).toBeGreaterThanOrEqual(MIN_ROW_REM);
    }
    expect(MIN_ROW_REM).toBeGreaterThan(3.2);
  });

  it("show small cards, title only, for a dozen topics", () => {
    for (const [orientation, wide] of SCREENS) {
      expect(cardLayout(12, orientation, wide)).toMatchObject({ density: "small", excerptLines: 0 });
    }
  });

  it("treat a count below one as one (a bundle always has a section)", () => {
    expect(cardLayout(0, "landscape", false)).toEqual(cardLayout(1, "landscape", false));
  });
});
