import { describe, expect, it } from "vitest";
import { slug, uniqueId } from "./ids";
import { missingLanguages, move, newSection } from "./sections";

describe("ids", () => {
  it("slug is lower-case ASCII with dashes", () => {
    expect(slug("Visa & Passports", "x")).toBe("visa-passports");
    expect(slug("  Café  Société! ", "x")).toBe("cafe-societe");
    expect(slug("Визы", "section"), "no Latin letters left: the fallback").toBe("section");
    expect(slug("a".repeat(100), "x").length).toBeLessThanOrEqual(60);
  });

  it("uniqueId counts up past taken ids", () => {
    expect(uniqueId("visa", [])).toBe("visa");
    expect(uniqueId("visa", ["visa", "visa-2"])).toBe("visa-3");
  });
});

describe("sections", () => {
  it("a new section takes its id from the title and the title in the default language", () => {
    const s = newSection(" Visa ", "kk", ["visa"]);
    expect(s).toEqual({ file: null, id: "visa-2", title: { kk: "Visa" }, body: {} });
  });

  it("move shifts one item and refuses moves off the ends", () => {
    expect(move(["a", "b", "c"], 0, 1)).toEqual(["b", "a", "c"]);
    expect(move(["a", "b", "c"], 2, -1)).toEqual(["a", "c", "b"]);
    const list = ["a", "b"];
    expect(move(list, 0, -1)).toBe(list);
    expect(move(list, 1, 1)).toBe(list);
  });

  it("missingLanguages names languages lacking a title or a text", () => {
    const s = { file: null, id: "a", title: { en: "A", kk: "А", ru: " " }, body: { en: "x", ru: "y" } };
    expect(missingLanguages(s, ["en", "kk", "ru"])).toEqual(["kk", "ru"]);
  });
});
