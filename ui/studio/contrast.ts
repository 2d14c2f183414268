// WCAG 2.x contrast of the theme's colours, shown live in Settings so the press
// attaché sees at once when a colour makes the kiosk hard to read (the studio's
// server refuses the same pairs on save; this is only the early warning).
import type { SettingsDoc } from "./types";

type Theme = SettingsDoc["theme"];

const HEX = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i;

/** Relative luminance (WCAG 2.x) of `#RRGGBB`; null when the text is not such a colour. */
export function luminance(hex: string): number | null {
  const m = HEX.exec(hex.trim());
  if (!m) return null;
  const [r, g, b] = [m[1], m[2], m[3]].map((h) => {
    const c = parseInt(h ?? "0", 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** Contrast ratio (1–21) of two `#RRGGBB` colours, in either order; null if either is not a colour. */
export function contrastRatio(a: string, b: string): number | null {
  const la = luminance(a);
  const lb = luminance(b);
  if (la === null || lb === null) return null;
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}

export type ContrastCheck = {
  /** The test id of the colour to change (also the server's Problem.field). */
  field: string;
  /** null when a colour is not `#RRGGBB`. */
  ratio: number | null;
  needed: number;
  ok: boolean;
  message: string;
};

type Pair = { field: string; label: string; fg: (t: Theme) => string; bg: (t: Theme) => string; needed: number; text: boolean };

/** The pairs the kiosk draws, in the order Settings lists them. */
const PAIRS: Pair[] = [
  { field: "theme-text", label: "Text on background", fg: (t) => t.text, bg: (t) => t.background, needed: 4.5, text: true },
  { field: "theme-primary", label: "White text on primary", fg: () => "#FFFFFF", bg: (t) => t.primary, needed: 4.5, text: true },
  { field: "theme-primary", label: "Primary on background", fg: (t) => t.primary, bg: (t) => t.background, needed: 4.5, text: true },
  { field: "theme-accent", label: "Accent on primary", fg: (t) => t.accent, bg: (t) => t.primary, needed: 3.0, text: false },
];

/** Rounded down, so a ratio just under the threshold never reads as the threshold. */
export function formatRatio(ratio: number): string {
  return `${(Math.floor(ratio * 10) / 10).toFixed(1)} : 1`;
}

function format(needed: number): string {
  return `${Number.isInteger(needed) ? needed.toFixed(0) : needed} : 1`;
}

/** One line per pair the kiosk uses, each with whether it reaches WCAG AA. */
export function themeContrast(theme: Theme): ContrastCheck[] {
  return PAIRS.map((p) => {
    const ratio = contrastRatio(p.fg(theme), p.bg(theme));
    if (ratio === null) {
      return { field: p.field, ratio, needed: p.needed, ok: false, message: `${p.label}: a colour is not written like #1A2B3C` };
    }
    const ok = ratio >= p.needed;
    const harm = p.text ? "visitors with low vision cannot read it" : "visitors with low vision cannot tell them apart";
    const message = ok
      ? `${p.label}: ${formatRatio(ratio)} — passes AA`
      : `${p.label}: ${formatRatio(ratio)} — below the ${format(p.needed)} needed for AA: ${harm}`;
    return { field: p.field, ratio, needed: p.needed, ok, message };
  });
}
