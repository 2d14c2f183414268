import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { touches } from "./touches";

const api = vi.hoisted(() => ({ touch: vi.fn(() => Promise.resolve()) }));
vi.mock("../lib/api", () => ({ api }));

// A window that only dispatches what the test sends it.
function fakeWindow() {
  const listeners = new Map<string, (e: Event) => void>();
  return {
    addEventListener: (type: string, f: (e: Event) => void) => listeners.set(type, f),
    removeEventListener: (type: string) => listeners.delete(type),
    send: (type: string, e: Event) => listeners.get(type)?.(e),
  };
}

let frames: (() => void)[] = [];

beforeEach(() => {
  vi.useFakeTimers();
  frames = [];
  vi.stubGlobal("requestAnimationFrame", (f: () => void) => frames.push(f));
  vi.stubGlobal("PointerEvent", class extends Event {});
  api.touch.mockClear();
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe("a visitor's touch", () => {
  it("tells the shell only after the screen it brings is drawn", () => {
    const win = fakeWindow();
    touches(() => undefined).listen(win as unknown as Window);
    vi.advanceTimersByTime(1000); // the last touch was long ago
    win.send("keydown", new Event("keydown"));
    expect(api.touch, "not while the tap's screen is being drawn").not.toHaveBeenCalled();
    frames.shift()?.();
    expect(api.touch, "not inside the frame either").not.toHaveBeenCalled();
    vi.runAllTimers();
    expect(api.touch).toHaveBeenCalledTimes(1);
  });

  it("tells the shell even when no frame comes (the window unmapped or hidden)", () => {
    const win = fakeWindow();
    touches(() => undefined).listen(win as unknown as Window);
    vi.advanceTimersByTime(1000);
    win.send("keydown", new Event("keydown"));
    vi.advanceTimersByTime(99);
    expect(api.touch).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(api.touch, "at the latest 100 ms after the touch").toHaveBeenCalledTimes(1);
    frames.shift()?.();
    vi.runAllTimers();
    expect(api.touch, "and once only when the frame comes after all").toHaveBeenCalledTimes(1);
  });

  it("that wakes the kiosk tells the shell at once: only the shell can end attract mode", () => {
    const e = new Event("pointerdown") as PointerEvent;
    touches(() => undefined).wake(e);
    expect(api.touch).toHaveBeenCalledTimes(1);
  });
});
