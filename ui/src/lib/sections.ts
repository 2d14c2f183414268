// The sections' texts, fetched once per language and content version and
// kept: a touch on a topic then shows its text at once, with no IPC round trip
// between the touch and the new screen.
import { api, type SectionView } from "./api";
import { Kept } from "./kept";

const sections = new Kept((id: string, lang: string) => api.section(id, lang));

/** The section if it is already here. */
export function peekSection(id: string, lang: string): SectionView | undefined {
  return sections.peek(id, lang);
}

/** The section, from the cache or over IPC (a failed fetch is not kept). */
export function loadSection(id: string, lang: string): Promise<SectionView> {
  return sections.load(id, lang);
}

/** Fetches the texts of `ids` in the background. */
export function preloadSections(ids: string[], lang: string): void {
  for (const id of ids) sections.preload(id, lang);
}

/** New content was switched in: the kept texts are stale. */
export function forgetSections(): void {
  sections.forget();
}
