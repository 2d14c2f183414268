import type { SignupCode } from "./bindings";
import { describe, expect, it } from "vitest";
import { errorText, languageName, locale, plural, t, uiStrings, type StringKey } from "./i18n";

const base = uiStrings.en ?? {};
const keys = Object.keys(base) as StringKey[];
const others = Object.keys(uiStrings).filter((lang) => lang !== "en");

/** The `{name}` placeholders in a string, sorted. */
const placeholders = (s: string) => [...s.matchAll(/\{[^}]*\}/g)].map((m) => m[0]).sort();

describe("the interface's words", () => {
  it("ship in English, Kazakh and Russian", () => {
    expect(Object.keys(uiStrings).sort()).toEqual(["en", "kk", "ru"]);
    expect(keys.length).toBeGreaterThan(0);
  });

  it.each(others)("in %s cover every English key, and no more", (lang) => {
    const table = uiStrings[lang] ?? {};
    expect(Object.keys(table).sort()).toEqual([...keys].sort());
  });

  it.each(Object.keys(uiStrings))("in %s are never empty", (lang) => {
    const table = uiStrings[lang] ?? {};
    for (const key of keys) expect(table[key]?.trim(), `${lang}.${key}`).toBeTruthy();
  });

  it.each(others)("in %s keep English's placeholders, so every {value} is filled in", (lang) => {
    const table = uiStrings[lang] ?? {};
    for (const key of keys) {
      expect(placeholders(table[key] ?? ""), `${lang}.${key}`).toEqual(placeholders(base[key] ?? ""));
    }
  });

  it.each(others)("in %s are translated, not English copied over", (lang) => {
    const table = uiStrings[lang] ?? {};
    const copied = keys.filter((key) => table[key] === base[key]);
    expect(copied).toEqual([]);
  });

  it("fall back to English for a language the interface is not written in", () => {
    expect(t("ar", "back")).toBe(t("en", "back"));
    expect(languageName("ar")).toBe("English");
    expect(locale("ar")).toBe("en-GB");
  });

  it("name each language in its own words", () => {
    expect(languageName("kk")).toBe("Қазақша");
    expect(languageName("ru")).toBe("Русский");
  });
});

describe("error messages", () => {
  it("translate a refusal's code into the visitor's language", () => {
    expect(errorText("ru", "missing_at")).toBe(uiStrings.ru?.err_missing_at);
    expect(errorText("kk", "too_many")).toBe(uiStrings.kk?.err_too_many);
  });

  it("say 'ask at the front desk' for a code the interface has no words for", () => {
    // Not a SignupCode: what a rejection of the IPC itself could carry at run time.
    expect(errorText("en", "disk_on_fire" as SignupCode)).toBe(t("en", "err_store_failed"));
    expect(errorText("kk", "" as SignupCode)).toBe(t("kk", "err_store_failed"));
  });
});

describe("sentences with a count", () => {
  it("take the plural form the visitor's language uses for the number", () => {
    expect(plural("en", "musicIntro", 1)).toMatch(/^1 short music sample\./);
    expect(plural("en", "musicIntro", 3)).toMatch(/^3 short music samples\./);
    expect(plural("ru", "musicIntro", 1)).toMatch(/^1 короткий музыкальный фрагмент\./);
    expect(plural("ru", "musicIntro", 3)).toMatch(/^3 коротких музыкальных фрагмента\./);
    expect(plural("ru", "musicIntro", 5)).toMatch(/^5 коротких музыкальных фрагментов\./);
    expect(plural("ru", "musicIntro", 11)).toMatch(/^11 коротких музыкальных фрагментов\./);
    expect(plural("ru", "musicIntro", 21)).toMatch(/^21 короткий музыкальный фрагмент\./);
    expect(plural("kk", "musicIntro", 10)).toMatch(/^10 қысқа музыкалық үзінді\./);
  });

  it.each(Object.keys(uiStrings))("in %s have a form for every plural category of counts", (lang) => {
    const rules = new Intl.PluralRules(locale(lang));
    const needed = new Set(Array.from({ length: 200 }, (_, n) => rules.select(n)));
    for (const form of needed) {
      expect(["one", "few", "many", "other"], `${lang}: ${form}`).toContain(form);
      expect(uiStrings[lang]?.[`musicIntro_${form}` as StringKey], `${lang}.musicIntro_${form}`).toBeTruthy();
    }
  });
});
