import { describe, expect, it } from "vitest";
import { direction } from "./direction";

describe("direction", () => {
  it.each([
    ["ar", "rtl"],
    ["fa", "rtl"],
    ["he", "rtl"],
    ["ur-PK", "rtl"],
    ["ar_EG", "rtl"],
    ["az-Arab", "rtl"],
    ["en", "ltr"],
    ["kk", "ltr"],
    ["ru", "ltr"],
    ["zh-Hans", "ltr"],
    ["ko", "ltr"],
    ["uz-Latn", "ltr"],
    ["ku-Arab-IQ", "rtl"],
    ["", "ltr"],
  ])("%j is %s", (lang, dir) => {
    expect(direction(lang), "a script subtag decides, else the language's usual script").toBe(dir);
  });
});
