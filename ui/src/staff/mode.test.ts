import { describe, expect, it } from "vitest";
import { StaffMode } from "./mode.svelte";

describe("staff mode", () => {
  it("opens the PIN pad on the corner gesture, then the panel on the right PIN", () => {
    const staff = new StaffMode();
    expect(staff.current).toBeNull();
    for (let i = 0; i < 5; i++) staff.tap(20, 20, i * 100);
    expect(staff.current).toEqual({ stage: "pin" });
    staff.unlocked(90);
    expect(staff.current).toEqual({ stage: "panel", idleSecs: 90 });
  });

  it("does not fall back to the PIN pad when the gesture is repeated over the open panel", () => {
    const staff = new StaffMode();
    staff.open();
    staff.unlocked(90);
    for (let i = 0; i < 5; i++) staff.tap(20, 20, i * 100);
    expect(staff.current).toEqual({ stage: "panel", idleSecs: 90 });
  });

  it("closes from the PIN pad or the panel", () => {
    const staff = new StaffMode();
    staff.open();
    staff.close();
    expect(staff.current).toBeNull();
    staff.open();
    staff.unlocked(90);
    staff.close();
    expect(staff.current).toBeNull();
  });
});
