// The sections' texts, fetched once per language and content version and
// kept: a touch on a topic then shows its text at once, with no IPC round trip
// between the touch and the new screen.
import { api, type SectionView } from "./api";

const ready = new Map<string, SectionView>();
const pending = new Map<string, Promise<SectionView>>();

const key = (id: string, lang: string) => `${id}\u0000${lang}`;

/** The section if it is already here. */
export function peekSection(id: string, lang: string): SectionView | undefined {
  return ready.get(key(id, lang));
}

/** The section, from the cache or over IPC (a failed fetch is not kept). */
export function loadSection(id: string, lang: string): Promise<SectionView> {
  const k = key(id, lang);
  const have = ready.get(k);
  if (have) return Promise.resolve(have);
  let p = pending.get(k);
  if (!p) {
    p = api.section(id, lang).then(
      (s) => {
        ready.set(k, s);
        pending.delete(k);
        return s;
      },
      (e: unknown) => {
        pending.delete(k);
        throw e;
      },
    );
    pending.set(k, p);
  }
  return p;
}

/** Fetches the texts of `ids` in the background. */
export function preloadSections(ids: string[], lang: string): void {
  for (const id of ids) loadSection(id, lang).catch(() => undefined);
}

/** New content was switched in: the kept texts are stale. */
export function forgetSections(): void {
  ready.clear();
  pending.clear();
}
