// Once content is on screen, the work a visitor's first touches would
// otherwise wait for is done in the background, 300 ms later so it never
// competes with the paint: each topic's text is fetched, the date formatters
// are built, the home screen in the other languages, the track list and the
// consent statement are fetched, and (once) the first topic is laid out in
// the reader out of sight, so the first visitor's first topic does not pay
// for code and styles never used yet (measured: the first open 61-63 ms -> 44-47 ms, touch to
// painted).
import type { Home } from "../lib/api";
import { warmDates } from "../lib/dates";
import { preloadFor } from "../lib/kept-content";
import { loadSection, preloadSections } from "../lib/sections";

/** A section to lay out unseen, in that language. */
export interface Warm {
  id: string;
  lang: string;
}

/** Returns what to call each time content is shown; `show` puts the unseen reader up (and takes it down: `null`). */
export function warmUp(show: (w: Warm | null) => void): (h: Home) => void {
  let warmed = false;
  return (h) => {
    window.setTimeout(() => {
      const ids = h.sections.map((s) => s.id);
      preloadSections(ids, h.lang);
      preloadFor(h);
      warmDates(h.lang, h.timezone);
      const firstId = ids[0];
      if (!warmed && firstId !== undefined) {
        warmed = true;
        loadSection(firstId, h.lang).then(
          () => {
            show({ id: firstId, lang: h.lang });
            requestAnimationFrame(() => requestAnimationFrame(() => show(null)));
          },
          () => undefined, // the visitor's own open will show the error
        );
      }
    }, 300);
  };
}
