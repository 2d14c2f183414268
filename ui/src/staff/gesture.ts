// The hidden gesture that opens the staff PIN pad: five taps in the
// top-left corner within three seconds. Visitors do not stumble on it; staff
// can do it without a keyboard.

export const CORNER_PX = 140;
export const TAPS = 5;
export const WINDOW_MS = 3000;

/** Returns a tap handler that calls `open` on the fifth corner tap within the window. */
export function cornerTaps(open: () => void): (x: number, y: number, now: number) => void {
  let taps: number[] = [];
  return (x, y, now) => {
    if (x > CORNER_PX || y > CORNER_PX) {
      taps = [];
      return;
    }
    taps = [...taps.filter((t) => now - t < WINDOW_MS), now];
    if (taps.length >= TAPS) {
      taps = [];
      open();
    }
  };
}
