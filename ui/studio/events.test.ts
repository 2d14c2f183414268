import { describe, expect, it } from "vitest";
import {
  addDays,
  duplicateEvent,
  ENDS_BEFORE_START,
  eventProblems,
  importSummary,
  isValidLocal,
  newEvent,
  NO_DATE,
  splitPast,
  whenText,
} from "./events";
import type { EventDoc } from "./types";

function ev(id: string, start: string, end: string): EventDoc {
  return { id, start, end, timezone: null, title: { en: id }, location: {}, description: {} };
}

describe("dates", () => {
  it("accept only real wall times in the picker's form", () => {
    expect(isValidLocal("2026-02-28T18:00")).toBe(true);
    expect(isValidLocal("2028-02-29T00:00"), "a leap day").toBe(true);
    expect(isValidLocal("2026-02-29T18:00"), "2026 is no leap year").toBe(false);
    expect(isValidLocal("2026-04-31T18:00")).toBe(false);
    expect(isValidLocal("2026-13-01T18:00")).toBe(false);
    expect(isValidLocal("2026-01-01T24:00")).toBe(false);
    expect(isValidLocal("2026-01-01"), "an incomplete picker gives no time").toBe(false);
    expect(isValidLocal("")).toBe(false);
  });

  it("add calendar days across months and years", () => {
    expect(addDays("2026-12-28T18:30", 7)).toBe("2027-01-04T18:30");
    expect(addDays("2028-02-26T09:05", 7)).toBe("2028-03-04T09:05");
    expect(addDays("nonsense", 7), "invalid input is left for the check to report").toBe("nonsense");
  });
});

describe("client checks", () => {
  it("report a missing or impossible date on its own field", () => {
    const p = eventProblems([ev("a", "", "2026-02-30T10:00")]);
    expect(p.map((x) => [x.field, x.key, x.message])).toEqual([
      ["event-start", "a", NO_DATE],
      ["event-end", "a", NO_DATE],
    ]);
    expect(p[0]?.page).toBe("events");
  });

  it("report an end at or before the start on the end field", () => {
    expect(eventProblems([ev("a", "2026-05-01T18:00", "2026-05-01T17:00")]).map((x) => [x.field, x.message])).toEqual([
      ["event-end", ENDS_BEFORE_START],
    ]);
    expect(eventProblems([ev("a", "2026-05-01T18:00", "2026-05-01T18:00")])).toHaveLength(1);
    expect(eventProblems([ev("a", "2026-05-01T18:00", "2026-05-02T01:00")]), "overnight is fine").toEqual([]);
  });
});

describe("list", () => {
  it("puts upcoming soonest first and past (ended before now) most recent first", () => {
    const now = "2026-06-10T12:00";
    const { upcoming, past } = splitPast(
      [
        ev("later", "2026-07-01T10:00", "2026-07-01T11:00"),
        ev("old", "2026-01-01T10:00", "2026-01-01T11:00"),
        ev("running", "2026-06-10T11:00", "2026-06-10T13:00"),
        ev("recent", "2026-06-09T10:00", "2026-06-09T11:00"),
        ev("soon", "2026-06-11T10:00", "2026-06-11T11:00"),
      ],
      now,
    );
    expect(upcoming.map((e) => e.id), "an event still running is not past").toEqual(["running", "soon", "later"]);
    expect(past.map((e) => e.id)).toEqual(["recent", "old"]);
  });
});

describe("new and duplicated events", () => {
  it("a new event is tomorrow 18:00–20:00 with a unique id from its date", () => {
    const e = newEvent("2026-12-31T23:10", ["2027-01-01-event"]);
    expect([e.start, e.end]).toEqual(["2027-01-01T18:00", "2027-01-01T20:00"]);
    expect(e.id).toBe("2027-01-01-event-2");
    expect(e.timezone).toBeNull();
  });

  it("a duplicate is a week later, with its own id and its own texts", () => {
    const e = ev("film-evening", "2027-01-21T18:30", "2027-01-21T21:00");
    const d = duplicateEvent(e, ["film-evening"]);
    expect([d.start, d.end]).toEqual(["2027-01-28T18:30", "2027-01-28T21:00"]);
    expect(d.id).toBe("2027-01-28-film-evening");
    d.title.en = "changed";
    expect(e.title.en, "the copy must not share its texts with the original").toBe("film-evening");
    const again = duplicateEvent(d, [e.id, d.id]);
    expect(again.id, "the date part is replaced, not stacked").toBe("2027-02-04-film-evening");
    expect(duplicateEvent(e, ["film-evening", "2027-01-28-film-evening"]).id).toBe("2027-01-28-film-evening-2");
  });

  it("ids stay in the content files' form", () => {
    const d = duplicateEvent(ev("x".repeat(64), "2027-01-21T18:30", "2027-01-21T21:00"), []);
    expect(d.id).toMatch(/^[a-z0-9-]{1,64}$/);
  });
});

describe("whenText", () => {
  it("reads as a date and a time span", () => {
    expect(whenText(ev("a", "2026-11-05T17:30", "2026-11-05T19:00"))).toBe("Thu, 5 Nov 2026, 17:30–19:00");
    expect(whenText(ev("a", "2026-11-05T22:00", "2026-11-06T01:00"))).toBe("Thu, 5 Nov 2026, 22:00 – Fri, 6 Nov 2026, 01:00");
  });
});

describe("importSummary", () => {
  it("counts what changed and names what was skipped", () => {
    const r = { events: [], added: 3, updated: 1, removed: 0, skipped: [] as string[] };
    expect(importSummary(r)).toBe("3 added, 1 updated, 0 removed");
    r.skipped = ["Board meeting (repeats every week)", "Holiday (cancelled)"];
    expect(importSummary(r)).toBe("3 added, 1 updated, 0 removed; skipped: Board meeting (repeats every week); Holiday (cancelled)");
  });
});
