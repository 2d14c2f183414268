// The bundle's colours and the visitor's language, applied to the page root:
// the colours as the CSS custom properties app.css draws with, the language
// as `lang` (hyphenation, quotation marks and the font's letter forms follow it)
// and its direction as `dir` (right-to-left languages mirror the whole screen).
import type { Theme } from "../lib/api";

/** The part of the page root a theme touches (`document.documentElement`). */
export interface ThemeRoot {
  style: { setProperty(name: string, value: string): void };
  lang: string;
  dir: string;
}

export function applyTheme(root: ThemeRoot, theme: Theme, lang: string, direction: "ltr" | "rtl"): void {
  root.style.setProperty("--primary", theme.primary);
  root.style.setProperty("--accent", theme.accent);
  root.style.setProperty("--background", theme.background);
  root.style.setProperty("--text", theme.text);
  root.lang = lang;
  root.dir = direction;
}
