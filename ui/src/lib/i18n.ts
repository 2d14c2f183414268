// The interface's own words. They come from the content bundle, which carries
// them complete for each of its languages (shipped en/kk/ru words, the
// content's ui/<lang>.toml, the embassy's [identity]: crates/content/src/words.rs);
// `speak(home)` takes them in whenever the home view arrives. Nothing here
// names a country or a language's words, except the two the screen needs
// before any bundle answers.
import type { Home, SignupCode } from "./bindings";
import { speech } from "./speech.svelte";

/** Every key of the interface, as crates/content/words/en.toml lists them (a test compares). */
export const KEYS = [
  "embassy",
  "about",
  "music",
  "touchToRead",
  "touchToExplore",
  "upcomingEvents",
  "allEvents",
  "back",
  "noEvents",
  "loading",
  "error",
  "musicIntro_other",
  "listen",
  "play",
  "pause",
  "nowPlaying",
  "audioUnavailable",
  "quietMode",
  "trackError",
  "volume",
  "join",
  "joinIntro",
  "email",
  "name",
  "submit",
  "thanks",
  "another",
  "err_empty",
  "err_missing_at",
  "err_local_empty",
  "err_local_too_long",
  "err_local_invalid_char",
  "err_local_dots",
  "err_quoted_local",
  "err_domain_empty",
  "err_domain_ip_literal",
  "err_domain_single_label",
  "err_domain_invalid",
  "err_too_long",
  "err_consent_required",
  "err_name_too_long",
  "err_too_many",
  "err_consent_changed",
  "err_store_full",
  "err_store_failed",
  "labelLanguage",
  "labelKeyboard",
  "labelBackspace",
  "labelPrevious",
  "labelNext",
  "labelClose",
  "a11yOpen",
  "a11ySpeech",
  "a11yLarge",
  "a11yContrast",
  "a11yReach",
  "a11yVolume",
  "a11yHelp",
  "a11yHint",
  "speechOn",
  "speechOff",
  "speechUnavailable",
  "speechTurnOff",
  "stateOn",
  "stateOff",
  "stateUnavailable",
  "moreTime",
  "moreTimeYes",
] as const;

export type StringKey = (typeof KEYS)[number];

// Every reason a signup can be refused (the union comes from Rust) has a
// word: a code without one does not compile.
type ErrorKey = `err_${SignupCode}`;
const everyCodeHasAWord: ErrorKey extends StringKey ? true : never = true;
void everyCodeHasAWord;

/** What the screen says before any bundle has answered (no language chosen yet). */
const BEFORE_CONTENT: Partial<Record<StringKey, string>> = {
  loading: "…",
  error: "⚠",
};

/** `tag` as Intl takes it, else the language code, else English: Intl
 * throws on a malformed tag, and a throw in the first render would leave
 * the lobby dark (the build and the kiosk's acceptance check refuse such
 * tags; this is the last line). */
export function safeLocale(tag: string, code: string): string {
  for (const candidate of [tag, code]) {
    try {
      const [canonical] = Intl.getCanonicalLocales(candidate);
      if (canonical) return canonical;
    } catch {
      // not a language tag: try the next
    }
  }
  return "en";
}

/** Takes in the words, languages and locale of a home view. */
export function speak(home: Home): void {
  speech.lang = home.lang;
  speech.words = home.words;
  speech.locale = safeLocale(home.locale, home.lang);
  for (const l of home.languages) {
    speech.names[l.code] = l.name;
    speech.locales[l.code] = safeLocale(l.locale, l.code);
    speech.directions[l.code] = l.direction;
  }
}

/** A word of the interface in the language on screen. */
export function t(key: StringKey): string {
  return speech.words[key] ?? BEFORE_CONTENT[key] ?? "";
}

/** Why a signup was refused, in the visitor's language. A code from outside
 * the union (a failure of the IPC itself) reads as "ask at the front desk". */
export function errorText(code: SignupCode): string {
  return speech.words[`err_${code}`] ?? t("err_store_failed");
}

/** Sentences that carry a count: one key per plural form (`_zero`, `_one`,
 * `_two`, `_few`, `_many`; `_other` always). */
export type PluralKey = "musicIntro";

/** A sentence with a count, in the plural form the visitor's language uses
 * for `n` (Intl.PluralRules), with `{n}` filled in: never a fixed number.
 * A form the language's words lack falls back to `_other`. */
export function plural(key: PluralKey, n: number): string {
  const form = new Intl.PluralRules(speech.locale).select(n);
  const text = speech.words[`${key}_${form}`] ?? speech.words[`${key}_other`] ?? "";
  return text.replace("{n}", new Intl.NumberFormat(speech.locale).format(n));
}

/** A language's own name, for its button. */
export function languageName(lang: string): string {
  return speech.names[lang] ?? lang;
}

/** BCP 47 tag for Intl formatting in `lang` (the bundle's, else the code itself). */
export function locale(lang: string): string {
  return speech.locales[lang] ?? lang;
}

/** Which way `lang` is written, as the bundle says: a section that fell back
 * to the default language keeps its own direction inside a mirrored page. */
export function direction(lang: string): "ltr" | "rtl" {
  return speech.directions[lang] ?? "ltr";
}
