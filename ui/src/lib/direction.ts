// The direction a language is written in, for text whose language may not be
// the interface's: a section or title that fell back to the bundle's default
// language keeps its own direction inside a mirrored (or unmirrored) page.
// From the BCP 47 tag alone: a script subtag decides (az-Arab, pa-Arab),
// else the language's usual script.

// Languages written right to left in their usual script.
const RTL_LANGUAGES = new Set([
  "ar", // Arabic
  "arc", // Aramaic
  "ckb", // Central Kurdish (Sorani)
  "dv", // Dhivehi
  "fa", // Persian
  "he", // Hebrew
  "iw", // Hebrew, the old code
  "ks", // Kashmiri
  "ps", // Pashto
  "sd", // Sindhi
  "syr", // Syriac
  "ug", // Uyghur
  "ur", // Urdu
  "yi", // Yiddish
]);

// Scripts written right to left (ISO 15924).
const RTL_SCRIPTS = new Set(["arab", "hebr", "syrc", "thaa", "nkoo", "adlm", "rohg", "mand", "samr"]);

/** "rtl" or "ltr" for a BCP 47 language tag ("ar", "fa-IR", "az-Arab", "en"). */
export function direction(lang: string): "ltr" | "rtl" {
  const [language = "", ...rest] = lang.trim().toLowerCase().split(/[-_]/);
  const script = rest.find((s) => /^[a-z]{4}$/.test(s));
  if (script) return RTL_SCRIPTS.has(script) ? "rtl" : "ltr";
  return RTL_LANGUAGES.has(language) ? "rtl" : "ltr";
}
