// The visitor's touches. Each one keeps the visit alive (the shell's idle
// timer, told at most every 250 ms, once the screen the touch brings is
// drawn: the IPC round trip is not on the way from the finger to it). The
// touch that wakes the kiosk from attract mode only wakes it: its click must
// not also press whatever the home screen shows under the finger. Only that one click is swallowed; the
// visitor's next tap works however quickly it follows.
import { api } from "../lib/api";
import { afterFrame } from "./frame";

export interface Touches {
  /** For attract mode's own pointerdown: wake the kiosk, and nothing else. */
  wake(e: PointerEvent): void;
  /** Starts listening on `win`; returns the function that stops it. */
  listen(win: Window): () => void;
}

/** `onPointerDown` sees every new touch first (the staff gesture). */
export function touches(onPointerDown: (x: number, y: number, now: number) => void): Touches {
  let swallowClickUntil = 0; // the click of the waking touch arrives before this time
  let lastTouch = 0;

  function touched(e: Event): void {
    // A new touch begins: a click still pending from the waking touch is not its.
    const now = performance.now();
    if (e instanceof PointerEvent && e.type === "pointerdown") {
      swallowClickUntil = 0;
      onPointerDown(e.clientX, e.clientY, now);
    }
    if (now - lastTouch > 250) {
      lastTouch = now;
      afterFrame(() => void api.touch());
    }
  }

  function swallow(e: MouseEvent): void {
    if (performance.now() < swallowClickUntil) {
      swallowClickUntil = 0;
      e.preventDefault();
      e.stopPropagation();
    }
  }

  return {
    wake(e) {
      e.preventDefault();
      e.stopPropagation();
      swallowClickUntil = performance.now() + 800;
      void api.touch();
    },
    listen(win) {
      win.addEventListener("pointerdown", touched, { capture: true, passive: true });
      win.addEventListener("keydown", touched, { capture: true, passive: true });
      win.addEventListener("click", swallow, { capture: true });
      return () => {
        win.removeEventListener("pointerdown", touched, { capture: true });
        win.removeEventListener("keydown", touched, { capture: true });
        win.removeEventListener("click", swallow, { capture: true });
      };
    },
  };
}
