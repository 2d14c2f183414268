// The language on screen and its words, as reactive state: every `t()` in a
// template re-reads when a new bundle or language brings other words.
export const speech = $state<{
  /** The language on screen. */
  lang: string;
  /** Its words, by key. */
  words: Record<string, string>;
  /** Its BCP 47 tag. */
  locale: string;
  /** Every offered language's own name, by code. */
  names: Record<string, string>;
  /** Locales met so far, by code (for dates in a language). */
  locales: Record<string, string>;
  /** Which way each offered language is written, by code. */
  directions: Record<string, "ltr" | "rtl">;
}>({ lang: "", words: {}, locale: "en", names: {}, locales: {}, directions: {} });
