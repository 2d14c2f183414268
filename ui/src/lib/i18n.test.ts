import en from "../../../crates/content/words/en.toml?raw";
import kk from "../../../crates/content/words/kk.toml?raw";
import ru from "../../../crates/content/words/ru.toml?raw";
import type { SignupCode } from "./bindings";
import type { Home, LanguageChoice } from "./api";
import { beforeEach, describe, expect, it } from "vitest";
import { errorText, KEYS, languageName, locale, plural, safeLocale, speak, t } from "./i18n";
import { speech } from "./speech.svelte";

/** A shipped words file (crates/content/words/<lang>.toml): `[language]` and `[words]`, one `key = "text"` a line. */
function shipped(text: string): { language: Record<string, string>; words: Record<string, string> } {
  const out: { language: Record<string, string>; words: Record<string, string> } = { language: {}, words: {} };
  let table: "language" | "words" | null = null;
  for (const line of text.split("\n")) {
    const header = /^\[(language|words)\]/.exec(line);
    if (header) table = header[1] as "language" | "words";
    const pair = /^(\w+) = ("(?:[^"\\]|\\.)*")/.exec(line);
    if (pair && table) out[table][pair[1]!] = JSON.parse(pair[2]!) as string;
  }
  return out;
}

const LANGS = ["en", "kk", "ru"];
const files = Object.fromEntries(
  Object.entries({ en, kk, ru }).map(([lang, text]) => [lang, shipped(text)]),
);
const choices: LanguageChoice[] = LANGS.map((code) => ({
  code,
  name: files[code]!.language.name!,
  direction: "ltr",
  locale: files[code]!.language.locale!,
  invite: files[code]!.words.touchToExplore!,
}));

/** The home view of a bundle in `lang` with these words (what the shell sends). */
function homeIn(lang: string, words: Record<string, string>, loc: string): Home {
  return { lang, words, locale: loc, languages: choices } as unknown as Home;
}

function speakShipped(lang: string): void {
  speak(homeIn(lang, files[lang]!.words, files[lang]!.language.locale!));
}

/** The `{name}` placeholders in a string, sorted. */
const placeholders = (s: string) => [...s.matchAll(/\{[^}]*\}/g)].map((m) => m[0]).sort();

beforeEach(() => {
  speech.words = {};
  speech.names = {};
  speech.locales = {};
});

describe("the interface's words", () => {
  it("are the keys the shipped English file lists (one plural form stands for each counted sentence)", () => {
    const all = Object.keys(files.en!.words);
    const form = (k: string) => /^(.*)_(zero|one|two|few|many)$/.exec(k)?.[1];
    const english = all.filter((k) => !all.includes(`${form(k)}_other`));
    expect([...KEYS].sort()).toEqual(english.sort());
  });

  it.each(["kk", "ru"])("in %s keep English's placeholders, so every {value} is filled in", (lang) => {
    for (const key of KEYS) {
      expect(placeholders(files[lang]!.words[key] ?? ""), `${lang}.${key}`).toEqual(
        placeholders(files.en!.words[key] ?? ""),
      );
    }
  });

  it("come from the bundle's home view, in the language on screen", () => {
    speakShipped("ru");
    expect(t("back")).toBe("Назад");
    speak(homeIn("zh", { back: "返回" }, "zh-CN"));
    expect(t("back"), "a new home view brings its language's words").toBe("返回");
  });

  it("before any bundle answers, show no language's words but a sign", () => {
    expect(t("loading")).toBe("…");
    expect(t("back")).toBe("");
  });

  it("name each language in its own words, and know its locale", () => {
    speakShipped("en");
    expect(languageName("kk")).toBe("Қазақша");
    expect(languageName("ru")).toBe("Русский");
    expect(locale("kk")).toBe("kk-KZ");
    expect(languageName("xx"), "a code the bundle does not offer shows as itself").toBe("xx");
  });
});

describe("a locale from the bundle", () => {
  it("that Intl cannot take falls back to the language code, then English, instead of throwing", () => {
    speak(homeIn("fr", { back: "Retour" }, "fr_FR"));
    expect(locale("fr")).toBe("fr");
    expect(() => plural("musicIntro", 2)).not.toThrow();
    expect(safeLocale("", "??")).toBe("en");
    expect(safeLocale("zh-hant-tw", "zh")).toBe("zh-Hant-TW");
  });
});

describe("error messages", () => {
  it("translate a refusal's code into the visitor's language", () => {
    speakShipped("ru");
    expect(errorText("missing_at")).toBe(files.ru!.words.err_missing_at);
    speakShipped("kk");
    expect(errorText("too_many")).toBe(files.kk!.words.err_too_many);
  });

  it("say 'ask at the front desk' for a code the interface has no words for", () => {
    speakShipped("kk");
    // Not a SignupCode: what a rejection of the IPC itself could carry at run time.
    expect(errorText("disk_on_fire" as SignupCode)).toBe(t("err_store_failed"));
    expect(errorText("" as SignupCode)).toBe(files.kk!.words.err_store_failed);
  });
});

describe("sentences with a count", () => {
  it("take the plural form the visitor's language uses for the number", () => {
    speakShipped("en");
    expect(plural("musicIntro", 1)).toMatch(/^1 short music sample\./);
    expect(plural("musicIntro", 3)).toMatch(/^3 short music samples\./);
    speakShipped("ru");
    expect(plural("musicIntro", 1)).toMatch(/^1 короткий музыкальный фрагмент\./);
    expect(plural("musicIntro", 3)).toMatch(/^3 коротких музыкальных фрагмента\./);
    expect(plural("musicIntro", 5)).toMatch(/^5 коротких музыкальных фрагментов\./);
    expect(plural("musicIntro", 11)).toMatch(/^11 коротких музыкальных фрагментов\./);
    expect(plural("musicIntro", 21)).toMatch(/^21 короткий музыкальный фрагмент\./);
    speakShipped("kk");
    expect(plural("musicIntro", 10)).toMatch(/^10 қысқа музыкалық үзінді\./);
  });

  it("use forms a content language adds (Arabic's two), and fall back to `other` for a form it lacks", () => {
    speak(homeIn("ar", { musicIntro_two: "مقطعان {n}", musicIntro_other: "{n} مقاطع" }, "ar"));
    // Digits as the locale writes them (Arabic-Indic or Latin, by ICU version).
    expect(plural("musicIntro", 2)).toMatch(/^مقطعان (2|٢)$/);
    expect(plural("musicIntro", 3), "Arabic's `few` is not written: `other`").toMatch(/^(3|٣) مقاطع$/);
  });

  it.each(LANGS)("in %s have a form for every plural category of counts", (lang) => {
    const rules = new Intl.PluralRules(files[lang]!.language.locale);
    const needed = new Set(Array.from({ length: 200 }, (_, n) => rules.select(n)));
    for (const form of needed) {
      expect(files[lang]!.words[`musicIntro_${form}`], `${lang}.musicIntro_${form}`).toBeTruthy();
    }
  });
});
