import { describe, expect, it } from "vitest";
import { step } from "./keypad";
import { commandOf, KEYS } from "./access.svelte";

function key(k: string, mods: Partial<Record<"shiftKey" | "ctrlKey" | "altKey" | "metaKey", boolean>> = {}) {
  return { key: k, shiftKey: false, ctrlKey: false, altKey: false, metaKey: false, ...mods };
}

describe("keypad", () => {
  it("moves through the items and wraps round at both ends", () => {
    expect(step(3, -1, 1)).toBe(0);
    expect(step(3, -1, -1)).toBe(2);
    expect(step(3, 2, 1)).toBe(0);
    expect(step(3, 0, -1)).toBe(2);
    expect(step(0, -1, 1)).toBe(-1);
  });

  it("gives every EZ Access key a command: move, choose, back, help", () => {
    expect(commandOf(key("ArrowDown"))).toBe("next");
    expect(commandOf(key("ArrowUp"))).toBe("previous");
    expect(commandOf(key("Enter"))).toBe("activate");
    expect(commandOf(key("Backspace"))).toBe("back");
    expect(commandOf(key("F1"))).toBe("help");
    expect(commandOf(key("Tab", { shiftKey: true }))).toBe("previous");
  });

  it("leaves the system's shortcuts and unknown keys alone", () => {
    expect(commandOf(key("ArrowDown", { ctrlKey: true }))).toBeNull();
    expect(commandOf(key("x"))).toBeNull();
    expect(Object.keys(KEYS)).not.toContain("x");
  });
});
