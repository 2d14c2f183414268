// The studio's one shared state: the content as loaded, the drafts being
// edited (with undo), live problems from the server, save and conflict state.
// Every page reads `studio` and changes the drafts only through `edit`, so
// each change is one undo step and triggers the live check and the preview.
import { untrack } from "svelte";
import { SvelteMap } from "svelte/reactivity";
import { ApiFailure, getJson, sendJson } from "./api";
import { eventProblems } from "./events";
import { History } from "./history";
import type { ContentDoc, Drafts, Page, Problem, SaveRequest } from "./types";

const PROBLEMS_FIRST = "Nothing was saved: please fix the problems marked in red first.";
export const CHECK_DEBOUNCE_MS = 400;
export const PREVIEW_DEBOUNCE_MS = 150;
export const REVS_POLL_MS = 3000;

function clone<T>(v: T): T {
  return structuredClone(v);
}

function message(e: unknown): string {
  if (e instanceof ApiFailure) return e.body.message;
  return e instanceof Error ? e.message : String(e);
}

/** Files whose rev on disk differs from the one loaded (either side may lack the file). */
export function changedFiles(loaded: Record<string, string>, now: Record<string, string>): string[] {
  return Object.keys({ ...loaded, ...now })
    .filter((f) => loaded[f] !== now[f])
    .sort();
}

function placeKey(field: string, key: string | null): string {
  return `${field}\u0000${key ?? ""}`;
}

class Studio {
  content = $state<ContentDoc | null>(null);
  draft = $state<Drafts | null>(null);
  /** From the server (last check or save). Pages use problemsFor/problemsOn, which add the instant client checks. */
  problems = $state<Problem[]>([]);
  notes = $state<Problem[]>([]);
  page = $state<Page>("sections");
  dirty = $state(false);
  canUndo = $state(false);
  canRedo = $state(false);
  saving = $state(false);
  savedAt = $state<number | null>(null);
  /** Files changed on disk behind the studio; non-empty shows the reload banner. */
  conflict = $state<string[]>([]);
  consentQuestion = $state(false);
  error = $state<string | null>(null);
  /** The newest good preview: its version, when the edit it shows was made (performance.now()), and how long the server took to answer. */
  preview = $state<{ version: number; editedAt: number; ms: number } | null>(null);
  /** The translation shown on the right of every localized field (remembered across fields). */
  translationLang = $state<string | null>(null);

  /** Checks done in the browser, at once (the server repeats them ~400 ms later). */
  readonly clientProblems = $derived(this.draft ? eventProblems(this.draft.events) : []);

  /** How many Problems components show each (field, key): the rest go in the page's list at the top. */
  readonly placed = new SvelteMap<string, number>();

  private history: History<Drafts> | null = null;
  private checkTimer: ReturnType<typeof setTimeout> | undefined;
  private previewTimer: ReturnType<typeof setTimeout> | undefined;
  private pollTimer: ReturnType<typeof setInterval> | undefined;
  private checkSeq = 0;
  private previewSeq = 0;
  private editedAt = 0;
  private offline = false;

  async load(): Promise<void> {
    try {
      const doc = await getJson<ContentDoc>("/api/content");
      this.adopt(doc);
      this.conflict = [];
      this.error = null;
      this.translationLang ??= doc.drafts.settings.languages.find((l) => l !== doc.drafts.settings.default_language) ?? null;
      this.startPolling();
    } catch (e) {
      this.error = `The content could not be loaded: ${message(e)}`;
    }
  }

  /** Takes a ContentDoc from the server as the saved state. */
  private adopt(doc: ContentDoc): void {
    this.content = doc;
    this.history = new History(clone(doc.drafts));
    this.draft = clone(doc.drafts);
    this.problems = doc.problems;
    this.notes = doc.notes;
    this.sync();
  }

  private sync(): void {
    this.dirty = this.history?.dirty ?? false;
    this.canUndo = this.history?.canUndo ?? false;
    this.canRedo = this.history?.canRedo ?? false;
  }

  edit(fn: (d: Drafts) => void, coalesceKey?: string): void {
    if (!this.draft || !this.history) return;
    const next = clone($state.snapshot(this.draft)) as Drafts;
    fn(next);
    if (JSON.stringify(next) === JSON.stringify(this.history.value)) return;
    this.history.record(clone(next), coalesceKey);
    this.show(next);
  }

  undo(): void {
    const prev = this.history?.undo();
    if (prev) this.show(clone(prev));
  }

  redo(): void {
    const next = this.history?.redo();
    if (next) this.show(clone(next));
  }

  /** Puts drafts on screen and schedules the live check and the preview. */
  private show(d: Drafts): void {
    this.draft = d;
    this.savedAt = null;
    this.sync();
    this.editedAt = performance.now();
    clearTimeout(this.checkTimer);
    clearTimeout(this.previewTimer);
    this.checkTimer = setTimeout(() => void this.check(), CHECK_DEBOUNCE_MS);
    this.previewTimer = setTimeout(() => void this.refreshPreview(), PREVIEW_DEBOUNCE_MS);
  }

  private async check(): Promise<void> {
    if (!this.draft) return;
    const seq = ++this.checkSeq;
    try {
      const r = await sendJson<{ problems: Problem[]; notes: Problem[] }>("POST", "/api/check", {
        drafts: $state.snapshot(this.draft),
      });
      if (seq !== this.checkSeq) return; // a newer check is on its way
      this.problems = r.problems;
      this.notes = r.notes;
      // "Fix the problems first" has done its job once they are fixed.
      if (r.problems.length === 0 && this.error === PROBLEMS_FIRST) this.error = null;
    } catch (e) {
      if (seq === this.checkSeq) this.error = `The live check failed: ${message(e)}`;
    }
  }

  private async refreshPreview(): Promise<void> {
    if (!this.draft) return;
    const seq = ++this.previewSeq;
    const editedAt = this.editedAt;
    try {
      const r = await sendJson<{ version: number; problems: Problem[] }>("POST", "/api/preview", {
        drafts: $state.snapshot(this.draft),
      });
      if (seq !== this.previewSeq || r.problems.length > 0) return;
      this.preview = { version: r.version, editedAt, ms: Math.round(performance.now() - editedAt) };
    } catch {
      // The preview keeps its last good state; the live check reports what is wrong.
    }
  }

  async save(consent?: "new_version" | "same_meaning"): Promise<void> {
    if (!this.content || !this.draft || !this.history || this.saving) return;
    const sent = clone($state.snapshot(this.draft)) as Drafts;
    const req: SaveRequest = { base_revs: this.content.revs, drafts: sent };
    if (consent) req.consent = consent;
    this.saving = true;
    this.consentQuestion = false;
    try {
      const doc = await sendJson<ContentDoc>("PUT", "/api/save", req);
      const typedSince = JSON.stringify(this.history.value) !== JSON.stringify(sent);
      const current = this.history.value;
      this.adopt(doc);
      // Edits made while the save was on its way stay, as one unsaved step.
      if (typedSince) this.edit((d) => Object.assign(d, current));
      this.savedAt = Date.now();
      this.error = null;
    } catch (e) {
      this.failedSave(e);
    } finally {
      this.saving = false;
    }
  }

  private failedSave(e: unknown): void {
    const body = e instanceof ApiFailure ? e.body : null;
    if (body?.code === "changed_on_disk") this.conflict = body.files ?? [];
    else if (body?.code === "consent_meaning") this.consentQuestion = true;
    else if (body?.code === "problems") {
      this.problems = body.problems ?? [];
      this.error = PROBLEMS_FIRST;
    } else this.error = `Nothing was saved: ${message(e)}`;
  }

  /** (Re)starts the 3 s poll: one timer, restarted by each load. */
  private startPolling(): void {
    clearInterval(this.pollTimer);
    this.pollTimer = setInterval(() => void this.pollRevs(), REVS_POLL_MS);
  }

  private async pollRevs(): Promise<void> {
    const loaded = this.content;
    if (!loaded || this.saving) return;
    try {
      const { revs } = await getJson<{ revs: Record<string, string> }>("/api/revs");
      if (this.offline) {
        this.offline = false;
        this.error = null;
      }
      // A save or reload since the question was asked has new revs: this answer is stale.
      if (this.content !== loaded || this.saving) return;
      this.conflict = changedFiles(loaded.revs, revs);
    } catch (e) {
      if (e instanceof ApiFailure && e.body.code === "offline") {
        this.offline = true;
        this.error = e.body.message;
      }
    }
  }

  problemsFor(field: string, key: string | null): Problem[] {
    return this.shown().filter((p) => p.field === field && p.key === key);
  }

  problemsOn(page: Page): Problem[] {
    return this.shown().filter((p) => p.page === page);
  }

  /** Problems that no Problems component on screen shows. */
  unplacedOn(page: Page): Problem[] {
    return this.problemsOn(page).filter((p) => !this.placed.has(placeKey(p.field, p.key)));
  }

  /** Server problems, except where a client check already speaks for the same field (it is newer). */
  private shown(): Problem[] {
    const client = this.clientProblems;
    const covered = client.map((p) => placeKey(p.field, p.key));
    return [...client, ...this.problems.filter((p) => !covered.includes(placeKey(p.field, p.key)))];
  }

  /**
   * For a problem listed at the top of a page: shows the translation its field is in
   * (`section-body-kk` → Қазақша on the right), so the field appears once its item is selected.
   */
  revealLanguageOf(p: Problem): void {
    const settings = this.draft?.settings;
    const lang = p.field.split("-").at(-1) ?? "";
    if (settings && lang !== settings.default_language && settings.languages.includes(lang)) this.translationLang = lang;
  }

  /** A Problems component shows (field, key) while mounted; returns the unregister function. */
  place(field: string, key: string | null): () => void {
    const k = placeKey(field, key);
    // Untracked: the calling effect must not depend on the count it changes.
    untrack(() => this.placed.set(k, (this.placed.get(k) ?? 0) + 1));
    return () =>
      untrack(() => {
        const n = (this.placed.get(k) ?? 1) - 1;
        if (n <= 0) this.placed.delete(k);
        else this.placed.set(k, n);
      });
  }
}

export type { Studio };
export const studio = new Studio();
