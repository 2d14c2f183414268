// The events page's pure logic: order, past/upcoming, new and duplicated
// events, and the checks worth doing before the server answers (a date that
// does not exist, an end before the start), so the problem shows as the user
// types. The server checks everything again on /api/check and on save.
import type { EventDoc, ImportResult, Problem } from "./types";
import { uniqueId } from "./ids";

const LOCAL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/;

/** The UTC-based Date for a wall time `YYYY-MM-DDTHH:MM`, or null if it is not a real one. */
function parse(local: string): Date | null {
  const m = LOCAL.exec(local);
  if (!m) return null;
  const [y, mo, d, h, mi] = m.slice(1).map(Number) as [number, number, number, number, number];
  if (mo < 1 || mo > 12 || h > 23 || mi > 59) return null;
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi));
  // 2026-02-30 rolls over into March: such a day does not exist.
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return null;
  return date;
}

function format(date: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${String(date.getUTCFullYear()).padStart(4, "0")}-${p(date.getUTCMonth() + 1)}-${p(date.getUTCDate())}T${p(date.getUTCHours())}:${p(date.getUTCMinutes())}`;
}

export function isValidLocal(local: string): boolean {
  return parse(local) !== null;
}

/** The same wall time `days` later (calendar days: unaffected by clock changes). Invalid input comes back as it was. */
export function addDays(local: string, days: number): string {
  const date = parse(local);
  if (!date) return local;
  date.setUTCDate(date.getUTCDate() + days);
  return format(date);
}

/** `YYYY-MM-DD` of the day after `nowLocal`'s date, at `time` (`HH:MM`). */
export function tomorrowAt(nowLocal: string, time: string): string {
  const day = addDays(`${nowLocal.slice(0, 10)}T${time}`, 1);
  return day;
}

export const NO_DATE = "This date does not exist or is incomplete";
export const ENDS_BEFORE_START = "The event ends before it starts";

/** Problems found without asking the server, in the server's Problem shape. */
export function eventProblems(events: EventDoc[]): Problem[] {
  const out: Problem[] = [];
  const problem = (field: string, key: string, message: string): Problem => ({
    page: "events",
    field,
    key,
    message,
    at: null,
  });
  for (const e of events) {
    const start = isValidLocal(e.start);
    const end = isValidLocal(e.end);
    if (!start) out.push(problem("event-start", e.id, NO_DATE));
    if (!end) out.push(problem("event-end", e.id, NO_DATE));
    if (start && end && e.end <= e.start) out.push(problem("event-end", e.id, ENDS_BEFORE_START));
  }
  return out;
}

function byStart(a: EventDoc, b: EventDoc): number {
  return a.start < b.start ? -1 : a.start > b.start ? 1 : a.end < b.end ? -1 : a.end > b.end ? 1 : a.id < b.id ? -1 : 1;
}

/** Upcoming (not yet over) soonest first; past (ended before `nowLocal`) most recent first. */
export function splitPast(events: EventDoc[], nowLocal: string): { upcoming: EventDoc[]; past: EventDoc[] } {
  const sorted = [...events].sort(byStart);
  return {
    upcoming: sorted.filter((e) => !(e.end < nowLocal)),
    past: sorted.filter((e) => e.end < nowLocal).reverse(),
  };
}

/** A new event tomorrow 18:00–20:00, with an id made from its date. */
export function newEvent(nowLocal: string, taken: string[]): EventDoc {
  const start = tomorrowAt(nowLocal, "18:00");
  return {
    id: uniqueId(`${start.slice(0, 10)}-event`, taken),
    start,
    end: tomorrowAt(nowLocal, "20:00"),
    timezone: null,
    title: {},
    location: {},
    description: {},
  };
}

/** A copy one week later (a weekly event is the common case), with an id of its own. */
export function duplicateEvent(e: EventDoc, taken: string[]): EventDoc {
  const start = addDays(e.start, 7);
  const base = e.id.replace(/-\d+$/, "").replace(/^\d{4}-\d{2}-\d{2}-/, "");
  const id = isValidLocal(start) ? `${start.slice(0, 10)}-${base}` : base;
  return {
    ...structuredClone(e),
    id: uniqueId(id.slice(0, 60), taken),
    start,
    end: addDays(e.end, 7),
  };
}

/** "Thu 5 Nov 2026, 17:30–19:00" (the end's date too when it differs). */
export function whenText(e: EventDoc, locale = "en-GB"): string {
  const s = parse(e.start);
  const en = parse(e.end);
  if (!s) return "Date missing";
  const day = (d: Date) =>
    d.toLocaleDateString(locale, { weekday: "short", day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
  const time = (d: Date) => d.toLocaleTimeString(locale, { hour: "2-digit", minute: "2-digit", timeZone: "UTC" });
  if (!en) return `${day(s)}, ${time(s)}`;
  if (e.start.slice(0, 10) === e.end.slice(0, 10)) return `${day(s)}, ${time(s)}–${time(en)}`;
  return `${day(s)}, ${time(s)} – ${day(en)}, ${time(en)}`;
}

/** "3 added, 1 updated, 0 removed; skipped: …" for the import's answer. */
export function importSummary(r: ImportResult): string {
  const line = `${r.added} added, ${r.updated} updated, ${r.removed} removed`;
  return r.skipped.length > 0 ? `${line}; skipped: ${r.skipped.join("; ")}` : line;
}
