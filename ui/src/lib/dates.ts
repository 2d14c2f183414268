// Event dates, shown in the embassy's time zone whatever the kiosk's own clock zone is.
import { locale } from "./i18n";

// Building a formatter costs 0.2-0.6 ms in the web view (the very first, which
// loads ICU's data, 12 ms), formatting with a built one 0.005 ms; the events
// screen needed a few per event. Only a few distinct ones are ever used
// (languages × zones × styles): keep them.
const formatters = new Map<string, Intl.DateTimeFormat>();

function fmt(lang: string, tz: string, opts: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${lang}|${tz}|${JSON.stringify(opts)}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale(lang), { timeZone: tz, ...opts });
    formatters.set(key, f);
  }
  return f;
}

export function monthHeading(month: string, lang: string, tz: string): string {
  // month is "YYYY-MM" in the embassy's zone; the 15th at noon stays in that month in any zone.
  const d = new Date(`${month}-15T12:00:00Z`);
  const s = fmt(lang, tz, { month: "long", year: "numeric" }).format(d);
  return s.charAt(0).toUpperCase() + s.slice(1);
}

// Event times arrive as RFC 3339 in the embassy's own UTC offset (the shell
// zones them), so their digits already are the embassy's wall clock: day,
// month and time are read from the string. That keeps ICU out of the home
// screen's first render, where the first formatter built costs 12-25 ms of
// the launch. The months are CLDR's abbreviations as WebKit's ICU prints
// them (`{ month: "short" }`, the full stop dropped).
const MONTHS_SHORT: Record<"en" | "kk" | "ru", readonly string[]> = {
  en: ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sept", "Oct", "Nov", "Dec"],
  kk: ["қаң", "ақп", "нау", "сәу", "мам", "мау", "шіл", "там", "қыр", "қаз", "қар", "жел"],
  ru: ["янв", "февр", "март", "апр", "май", "июнь", "июль", "авг", "сент", "окт", "нояб", "дек"],
};

/** The wall-clock fields of `iso` ("YYYY-MM-DDTHH:MM…"). */
function wall(iso: string): { month: number; day: number; hm: string } {
  return { month: Number(iso.slice(5, 7)), day: Number(iso.slice(8, 10)), hm: iso.slice(11, 16) };
}

export function dayNumber(iso: string): string {
  return String(wall(iso).day);
}

export function monthShort(iso: string, lang: string): string {
  const months = MONTHS_SHORT[lang as keyof typeof MONTHS_SHORT];
  const { month } = wall(iso);
  if (months) return months[month - 1] ?? "";
  // A language the table does not know (the bundle added it): ICU's words,
  // read at noon UTC of the month's 15th so no zone moves it to another month.
  const d = new Date(Date.UTC(2000, month - 1, 15, 12));
  return fmt(lang, "UTC", { month: "short" }).format(d).replace(/\.$/, "");
}

export function timeRange(startIso: string, endIso: string): string {
  return `${wall(startIso).hm} – ${wall(endIso).hm}`;
}

/** Builds the formatters the events screen and attract mode use, so no visitor waits for ICU's data. */
export function warmDates(lang: string, tz: string): void {
  monthHeading("2000-01", lang, tz);
  weekday("2000-01-01T12:00:00Z", lang, tz);
}

export function weekday(iso: string, lang: string, tz: string): string {
  return fmt(lang, tz, { weekday: "long" }).format(new Date(iso));
}
