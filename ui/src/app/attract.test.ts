import { describe, expect, it } from "vitest";
import { afterAttract, type Visit } from "./attract";

/** A visitor deep in the kiosk: reading a topic in Russian, with the staff PIN pad open. */
const busy: Visit = {
  screen: { name: "section", id: "visas" },
  attract: null,
  lang: "ru",
  staff: { stage: "pin" },
  visit: 7,
};

describe("the attract schedule's actions", () => {
  it("end a visit without a trace: staff closed, default language, home, a new visit, content reloaded", () => {
    const { next, reload } = afterAttract(busy, { action: "reset_visitor" });
    expect(next).toEqual({ screen: { name: "home" }, attract: null, lang: null, staff: null, visit: 8 });
    expect(reload, "the default language's content is loaded again").toBe(true);
  });

  it("close an open staff panel at the end of a visit too", () => {
    const { next } = afterAttract({ ...busy, staff: { stage: "panel", idleSecs: 120 } }, { action: "reset_visitor" });
    expect(next.staff).toBeNull();
  });

  it("show each slide over the hidden visit, leaving the visit as it is", () => {
    const slide = { kind: "event" as const, id: "concert" };
    const { next, reload } = afterAttract(busy, { action: "show_slide", slide });
    expect(next).toEqual({ ...busy, attract: { slide } });
    expect(reload).toBe(false);
  });

  it("start attract mode even before there is a slide to show", () => {
    expect(afterAttract(busy, { action: "show_slide", slide: null }).next.attract).toEqual({ slide: null });
  });

  it("keep attract mode on screen while the visit is reset behind it", () => {
    const asleep = { ...busy, attract: { slide: { kind: "section" as const, id: "history" } } };
    expect(afterAttract(asleep, { action: "reset_visitor" }).next.attract).toEqual(asleep.attract);
  });

  it("leave attract mode for the home screen when a visitor touches it", () => {
    const asleep = { ...busy, attract: { slide: { kind: "section" as const, id: "history" } } };
    const { next, reload } = afterAttract(asleep, { action: "show_home" });
    expect(next.attract, "attract mode is over").toBeNull();
    expect(next.screen).toEqual({ name: "home" });
    expect(next.visit, "the touch continues the visit that was reset, not a new one").toBe(busy.visit);
    expect(reload).toBe(false);
  });

  it("never change the visit they are given", () => {
    const before = structuredClone(busy);
    afterAttract(busy, { action: "reset_visitor" });
    afterAttract(busy, { action: "show_home" });
    expect(busy).toEqual(before);
  });
});
