import { afterEach, describe, expect, it, vi } from "vitest";
import { dayNumber, monthHeading, monthShort, timeRange, warmDates, weekday } from "./dates";

// An event at 02:00 on 1 March in Almaty (UTC+5) is still 28 February in UTC and in London.
const EARLY = "2026-03-01T02:00:00+05:00";
const EARLY_END = "2026-03-01T04:30:00+05:00";

describe("event dates", () => {
  it("read day, month and time off the embassy's wall clock in the string, whatever zone the kiosk is in", () => {
    expect(dayNumber(EARLY)).toBe("1");
    expect(monthShort(EARLY, "en")).toBe("Mar");
    expect(timeRange(EARLY, EARLY_END)).toBe("02:00 – 04:30");
  });

  it("name the short month in the visitor's language, through ICU for a language the bundle added", () => {
    const sept = "2026-09-10T18:00:00+01:00";
    expect(monthShort(sept, "en")).toBe("Sept");
    expect(monthShort(sept, "kk")).toBe("қыр");
    expect(monthShort(sept, "ru")).toBe("сент");
    expect(monthShort(sept, "zh")).toBe("9月");
    const arabic = new Intl.DateTimeFormat("ar", { timeZone: "UTC", month: "short" }).format(Date.UTC(2026, 8, 15));
    expect(monthShort(sept, "ar")).toBe(arabic);
    expect(arabic).not.toBe("Sept");
  });

  it("keep the short months exactly as ICU abbreviates them, full stop dropped", () => {
    const locales = { en: "en-GB", kk: "kk-KZ", ru: "ru-RU" };
    for (const [lang, locale] of Object.entries(locales)) {
      for (let m = 1; m <= 12; m++) {
        const mm = String(m).padStart(2, "0");
        const icu = new Intl.DateTimeFormat(locale, { timeZone: "UTC", month: "short" })
          .format(new Date(`2026-${mm}-15T12:00:00Z`))
          .replace(/\.$/, "");
        expect(monthShort(`2026-${mm}-15T12:00:00+00:00`, lang), `${lang} month ${m}`).toBe(icu);
      }
    }
  });

  it("give the weekday in the embassy's zone, not the kiosk's", () => {
    expect(weekday(EARLY, "en", "Asia/Almaty")).toBe("Sunday");
    expect(weekday(EARLY, "en", "Europe/London")).toBe("Saturday");
    expect(weekday(EARLY, "ru", "Asia/Almaty")).toBe("воскресенье");
  });

  it("head a month with a capital letter in every language", () => {
    expect(monthHeading("2026-03", "en", "Asia/Almaty")).toBe("March 2026");
    expect(monthHeading("2026-03", "ru", "Asia/Almaty")).toBe("Март 2026 г.");
  });

  it("keep a month heading in its month in zones far from UTC", () => {
    expect(monthHeading("2026-01", "en", "Pacific/Kiritimati")).toBe("January 2026");
    expect(monthHeading("2026-01", "en", "Pacific/Pago_Pago")).toBe("January 2026");
  });
});

describe("warming the date formatters", () => {
  afterEach(() => vi.restoreAllMocks());

  it("builds them ahead, so the events screen builds none of its own", () => {
    const Real = Intl.DateTimeFormat;
    const built = vi.spyOn(Intl, "DateTimeFormat").mockImplementation(function (...args) {
      return new Real(...args);
    });
    warmDates("kk", "Asia/Tokyo");
    const ahead = built.mock.calls.length;
    expect(ahead, "warming builds the formatters").toBeGreaterThan(0);
    monthHeading("2026-05", "kk", "Asia/Tokyo");
    weekday("2026-05-04T10:00:00+09:00", "kk", "Asia/Tokyo");
    expect(built.mock.calls.length, "the screen reuses the warmed formatters").toBe(ahead);
  });
});
