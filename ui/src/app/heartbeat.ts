// Proof of life for the shell's heartbeat: every two seconds, what this UI
// actually has on screen (`ui_rendered`). A hung page stops these, and the
// shell stops vouching for it (heartbeat file, systemd watchdog), so a frozen
// web view is restarted instead of showing a dead screen for hours.
import { api } from "../lib/api";
import type { Screen } from "./screen";

export const REPORT_EVERY_MS = 2000;

/** Elements that only content puts on screen: a blank or broken page has none. */
const ITEMS = "main [data-testid], [data-testid=attract-slide]";

/** The name reported for what is on screen: attract mode and a failure cover the visitor's screen. */
export function shownName(attract: object | null, failure: string | null, screen: Screen): string {
  return attract ? "attract" : failure ? "error" : screen.name;
}

/** Reports what `what()` says is shown every two seconds, until the returned function is called. */
export function reportShown(what: () => { screen: string; lang: string }): () => void {
  const report = window.setInterval(() => {
    const { screen, lang } = what();
    const items = document.querySelectorAll(ITEMS).length;
    void api.uiRendered(screen, items, lang);
  }, REPORT_EVERY_MS);
  return () => window.clearInterval(report);
}
