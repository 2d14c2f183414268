import { describe, expect, it } from "vitest";
import { contrastRatio, formatRatio, luminance, themeContrast } from "./contrast";

describe("contrast", () => {
  it("gives the WCAG reference values", () => {
    expect(luminance("#000000"), "black has no luminance").toBe(0);
    expect(luminance("#FFFFFF"), "white is full luminance").toBeCloseTo(1, 10);
    expect(contrastRatio("#000000", "#ffffff"), "black on white is the maximum, 21 : 1").toBeCloseTo(21, 5);
    expect(contrastRatio("#777777", "#FFFFFF"), "#777 on white is the classic just-fails case (4.48)").toBeCloseTo(4.48, 2);
    expect(contrastRatio("#FFFFFF", "#777777"), "the ratio does not depend on the order").toBeCloseTo(4.48, 2);
    expect(contrastRatio("#767676", "#FFFFFF"), "#767676 on white just passes (4.54)").toBeCloseTo(4.54, 2);
  });

  it("refuses what is not #RRGGBB", () => {
    expect(luminance("#fff"), "short hex is not accepted (the server wants #RRGGBB)").toBeNull();
    expect(contrastRatio("red", "#FFFFFF"), "a colour name has no ratio").toBeNull();
  });

  it("never rounds a failing ratio up to the threshold", () => {
    expect(formatRatio(4.48), "4.48 must not read as 4.5 : 1").toBe("4.4 : 1");
    expect(formatRatio(21), "whole numbers keep one decimal").toBe("21.0 : 1");
  });

  it("checks the four pairs the kiosk draws", () => {
    const good = themeContrast({ primary: "#1F3A5F", accent: "#F2C14E", background: "#FFFFFF", text: "#1A1A1A" });
    expect(good.map((c) => c.field), "pairs name the colour to change").toEqual([
      "theme-text",
      "theme-primary",
      "theme-primary",
      "theme-accent",
    ]);
    expect(good.map((c) => c.needed), "text needs 4.5, the accent (non-text) 3").toEqual([4.5, 4.5, 4.5, 3]);
    expect(good.every((c) => c.ok), "a dark navy theme passes every pair").toBe(true);
    expect(good[0]?.message).toMatch(/^Text on background: \d+\.\d : 1 — passes AA$/);

    const bad = themeContrast({ primary: "#777777", accent: "#808080", background: "#FFFFFF", text: "#999999" });
    expect(bad.map((c) => c.ok), "light grey text, grey primary and grey accent all fail").toEqual([false, false, false, false]);
    expect(bad[0]?.message, "a failing pair says why it matters").toBe(
      "Text on background: 2.8 : 1 — below the 4.5 : 1 needed for AA: visitors with low vision cannot read it",
    );
    expect(bad[2]?.message, "pair 3 says primary on background").toMatch(/^Primary on background: 4\.4 : 1 — below the 4\.5 : 1/);
    expect(bad[3]?.message, "the accent threshold reads 3 : 1").toMatch(/below the 3 : 1 needed for AA/);
  });

  it("fails a pair whose colour is not readable", () => {
    const [text] = themeContrast({ primary: "#1F3A5F", accent: "#F2C14E", background: "#FFFFFF", text: "black" });
    expect(text?.ok, "an unreadable colour cannot pass").toBe(false);
    expect(text?.ratio).toBeNull();
  });
});
