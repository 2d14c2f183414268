// Event dates, shown in the embassy's time zone whatever the kiosk's own clock zone is.
import { locale } from "./i18n";

function fmt(lang: string, tz: string, opts: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat(locale(lang), { timeZone: tz, ...opts });
}

export function monthHeading(month: string, lang: string, tz: string): string {
  // month is "YYYY-MM" in the embassy's zone; the 15th at noon stays in that month in any zone.
  const d = new Date(`${month}-15T12:00:00Z`);
  const s = fmt(lang, tz, { month: "long", year: "numeric" }).format(d);
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function dayNumber(iso: string, lang: string, tz: string): string {
  return fmt(lang, tz, { day: "numeric" }).format(new Date(iso));
}

export function monthShort(iso: string, lang: string, tz: string): string {
  return fmt(lang, tz, { month: "short" }).format(new Date(iso)).replace(".", "");
}

export function weekday(iso: string, lang: string, tz: string): string {
  return fmt(lang, tz, { weekday: "long" }).format(new Date(iso));
}

export function timeRange(startIso: string, endIso: string, lang: string, tz: string): string {
  const f = fmt(lang, tz, { hour: "2-digit", minute: "2-digit" });
  return `${f.format(new Date(startIso))} – ${f.format(new Date(endIso))}`;
}
