// Staff mode: closed, the PIN pad, or the panel. Five taps in the top-left
// corner (gesture.ts) open the PIN pad; the right PIN opens the panel, which
// closes itself after the configured idle seconds; cancel, close and the end
// of a visit (attract.ts) close it.
import { cornerTaps } from "./gesture";

/** The PIN pad, or the panel with its idle-close seconds. */
export type StaffStage = { stage: "pin" } | { stage: "panel"; idleSecs: number };

export class StaffMode {
  /** What is open; `null` while closed. */
  current = $state<StaffStage | null>(null);

  /** The corner gesture: opens the PIN pad, unless staff mode is already open. */
  open(): void {
    if (!this.current) this.current = { stage: "pin" };
  }

  /** Every new touch, for the corner gesture. */
  readonly tap = cornerTaps(() => this.open());

  /** The PIN was right: the panel, closing itself after `idleSecs` untouched. */
  unlocked(idleSecs: number): void {
    this.current = { stage: "panel", idleSecs };
  }

  close(): void {
    this.current = null;
  }
}
