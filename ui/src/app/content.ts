// A new content bundle was switched in (the shell's `content` event, with no
// restart): the kept texts (lib/kept.ts) are stale, so they are forgotten and
// the screen reloads in place, never blank. A topic that the new bundle no longer
// has cannot stay open: the visitor goes home. A half-typed signup is kept.
import type { UnlistenFn } from "@tauri-apps/api/event";
import { api, type Home } from "../lib/api";
import { forgetKept } from "../lib/kept";
import type { Screen } from "./screen";

/** Whether `screen` shows a section that `home` (the new content) no longer lists. */
export function sectionGone(screen: Screen, home: Home | null): boolean {
  return screen.name === "section" && !home?.sections.some((s) => s.id === screen.id);
}

/** On each new bundle: forget the kept texts, `reload`, then `after` (which sees the new content). */
export function onNewContent(reload: () => Promise<void>, after: () => void): Promise<UnlistenFn> {
  return api.onContent(() => {
    forgetKept();
    void reload().then(after);
  });
}
