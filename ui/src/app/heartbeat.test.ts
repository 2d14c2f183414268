import { describe, expect, it } from "vitest";
import { shownName } from "./heartbeat";

describe("the heartbeat's report of what is on screen", () => {
  it("names the visitor's screen", () => {
    expect(shownName(null, null, { name: "home" })).toBe("home");
    expect(shownName(null, null, { name: "section", id: "visas" })).toBe("section");
  });

  it("says attract mode while it covers the screen, even over a failure", () => {
    expect(shownName({ slide: null }, null, { name: "music" })).toBe("attract");
    expect(shownName({ slide: null }, "internal", { name: "music" })).toBe("attract");
  });

  it("says error while a failure replaces the content", () => {
    expect(shownName(null, "bundle_unreadable", { name: "events" })).toBe("error");
  });
});
