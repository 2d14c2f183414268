// What the attract schedule's actions (decided in Rust, crates/attract, and
// sent as `attract` events) do to the screen. Kept pure so each action's
// effect on the visit can be tested without a window:
// - `reset_visitor`: the idle timeout ran out, so nothing of the last visitor
//   may survive: staff mode closes, the language goes back to the bundle's
//   default, the home screen is shown, the visit number moves on (everything
//   keyed on it is rebuilt) and the content is loaded again;
// - `show_slide`: attract mode shows this slide over the (hidden) visit;
// - `show_home`: a touch ended attract mode: the visitor starts at home;
// - `ask_more_time`, `more_time`: the prompt before the reset, shown and
//   taken away over the visit (App.svelte), which they leave as it is.
import type { AttractAction, AttractSlide } from "../lib/api";
import type { StaffStage } from "../staff/mode.svelte";
import type { Screen } from "./screen";

/** Attract mode, when it is on: the slide shown (`null`: none yet). */
export interface Attract {
  slide: AttractSlide | null;
}

/** The part of the UI that attract actions change. */
export interface Visit {
  screen: Screen;
  attract: Attract | null;
  /** The visitor's chosen language; `null` is the bundle's default. */
  lang: string | null;
  staff: StaffStage | null;
  /** Bumped for each new visitor. */
  visit: number;
}

/** The visit after `action`, and whether the content must be loaded again. */
export function afterAttract(v: Visit, action: AttractAction): { next: Visit; reload: boolean } {
  switch (action.action) {
    case "reset_visitor":
      return { next: { ...v, staff: null, lang: null, screen: { name: "home" }, visit: v.visit + 1 }, reload: true };
    case "show_slide":
      return { next: { ...v, attract: { slide: action.slide } }, reload: false };
    case "show_home":
      return { next: { ...v, attract: null, screen: { name: "home" } }, reload: false };
    case "ask_more_time":
    case "more_time":
      // The "more time" prompt is drawn over the visit; the visit itself stays.
      return { next: v, reload: false };
  }
}
