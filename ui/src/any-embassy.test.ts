// The interface is any embassy's: what names a country, or counts what the
// bundle holds, comes from the bundle. This reads every source file of the
// UI (tests aside) and fails on a country's name, in the languages the kiosk
// ships and the ones the second demo adds, or on a number written into a
// sentence about the content.
import { describe, expect, it } from "vitest";

const sources = import.meta.glob(["./**/*.ts", "./**/*.svelte", "./**/*.css", "!./**/*.test.ts"], {
  query: "?raw",
  import: "default",
  eager: true,
}) as Record<string, string>;

/** Every region name ICU knows, in these languages (Kazakhstan, Казахстан, Қазақстан, كازاخستان, 哈萨克斯坦, …). */
function countryNames(): Map<string, string> {
  const names = new Map<string, string>();
  const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  for (const lang of ["en", "ru", "kk", "fr", "ar", "zh"]) {
    const regions = new Intl.DisplayNames([lang], { type: "region", fallback: "none" });
    for (const a of letters) {
      for (const b of letters) {
        const name = regions.of(a + b);
        // Short names that are also ordinary words or identifiers stay out.
        if (name && name.length >= 5 && !["Jersey", "Georgia", "Jordan", "Turkey", "Guinea"].includes(name)) {
          names.set(name, a + b);
        }
      }
    }
  }
  return names;
}

describe("the interface, for any embassy", () => {
  it("reads its sources (the check sees the files it guards)", () => {
    expect(Object.keys(sources).length).toBeGreaterThan(20);
    expect(Object.keys(sources)).toContain("./lib/Header.svelte");
  });

  it("names no country: the embassy's name and headings come from the bundle", () => {
    const names = countryNames();
    expect(names.get("Kazakhstan")).toBe("KZ");
    expect(names.get("Казахстан")).toBe("KZ");
    const found: string[] = [];
    for (const [file, text] of Object.entries(sources)) {
      for (const name of names.keys()) {
        // A whole word: "Russian", the language, is not "Russia".
        const word = new RegExp(`(?<!\\p{L})${name}(?!\\p{L})`, "u");
        if (text.includes(name) && word.test(text)) found.push(`${file}: ${name}`);
      }
    }
    expect(found).toEqual([]);
  });

  it("writes no fixed count into a sentence about the content", () => {
    const counted =
      /\b(one|two|three|four|five|six|seven|eight|nine|ten|\d+)\s+(short\s+)?(music\s+)?(samples?|tracks?|songs?|events?|topics?|sections?)\b/i;
    const found = Object.entries(sources)
      .filter(([, text]) => text.split("\n").some((line) => !/^\s*(\/\/|\*|\/\*)/.test(line) && counted.test(line)))
      .map(([file]) => file);
    expect(found).toEqual([]);
  });
});
