import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { changedFiles, studio } from "./store.svelte";
import type { ContentDoc, Drafts } from "./types";

function doc(revs: Record<string, string> = { "events.toml": "r1" }): ContentDoc {
  const drafts: Drafts = {
    settings: {
      default_language: "en",
      languages: ["en", "kk"],
      timezone: "Europe/Berlin",
      idle_timeout_secs: 90,
      attract_slide_secs: 8,
      theme: { primary: "#000000", accent: "#000000", background: "#ffffff", text: "#000000" },
      music: { continuous: false, attract: true, attract_volume: 0.5 },
      consent: { version: 1, text: { en: "I agree" } },
    },
    sections: [{ file: "a", id: "a", title: { en: "A" }, body: { en: "text" } }],
    events: [
      { id: "e1", start: "2026-12-01T18:00", end: "2026-12-01T20:00", timezone: null, title: { en: "E" }, location: {}, description: {} },
    ],
    tracks: [],
  };
  return { revs, embassy: "Embassy of Testland", drafts, language_names: { en: "English" }, now_local: "2026-11-30T10:00", calendar: null, problems: [], notes: [] };
}

type Call = { method: string; url: string; body: unknown };
let calls: Call[];
let routes: Record<string, (body: unknown) => [number, unknown]>;

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

beforeEach(async () => {
  vi.useFakeTimers();
  calls = [];
  routes = {
    "GET /api/content": () => [200, doc()],
    "GET /api/revs": () => [200, { revs: { "events.toml": "r1" } }],
    "POST /api/check": () => [200, { problems: [], notes: [] }],
    "POST /api/preview": () => [200, { version: 7, problems: [] }],
  };
  vi.stubGlobal("fetch", async (url: string, init: RequestInit) => {
    const method = init.method ?? "GET";
    const body = typeof init.body === "string" ? JSON.parse(init.body) : init.body;
    calls.push({ method, url, body });
    const route = routes[`${method} ${url}`];
    if (!route) return json(404, { code: "unknown", message: "no route" });
    const [status, answer] = route(body);
    return json(status, answer);
  });
  await studio.load();
});

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

const setTitle = (t: string) =>
  studio.edit((d) => {
    d.events[0]!.title.en = t;
  }, "event-title-en:e1");

describe("studio store", () => {
  it("load gives an editable copy of the drafts, clean", () => {
    expect(studio.draft?.events[0]?.title.en).toBe("E");
    expect(studio.dirty).toBe(false);
    expect(studio.canUndo).toBe(false);
    expect(studio.draft, "the draft must not be the loaded document itself").not.toBe(studio.content?.drafts);
  });

  it("an edit is dirty and undoable; undo back to the loaded text is clean again", () => {
    setTitle("E2");
    expect(studio.draft?.events[0]?.title.en).toBe("E2");
    expect(studio.content?.drafts.events[0]?.title.en, "the loaded document stays as loaded").toBe("E");
    expect([studio.dirty, studio.canUndo]).toEqual([true, true]);
    studio.undo();
    expect(studio.draft?.events[0]?.title.en).toBe("E");
    expect([studio.dirty, studio.canRedo]).toEqual([false, true]);
    studio.redo();
    expect(studio.draft?.events[0]?.title.en).toBe("E2");
  });

  it("checks 400 ms and previews 150 ms after the last edit, with the drafts", async () => {
    routes["POST /api/check"] = () => [200, { problems: [{ page: "events", field: "event-title-kk", key: "e1", message: "m", at: null }], notes: [] }];
    setTitle("E2");
    await vi.advanceTimersByTimeAsync(100);
    setTitle("E23");
    await vi.advanceTimersByTimeAsync(149);
    expect(calls.filter((c) => c.url === "/api/preview"), "the preview waits for a pause in typing").toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls.filter((c) => c.url === "/api/preview")).toHaveLength(1);
    expect(studio.preview?.version).toBe(7);
    expect(calls.filter((c) => c.url === "/api/check")).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(250);
    const checks = calls.filter((c) => c.url === "/api/check");
    expect(checks).toHaveLength(1);
    expect((checks[0]!.body as { drafts: Drafts }).drafts.events[0]!.title.en).toBe("E23");
    expect(studio.problemsFor("event-title-kk", "e1")).toHaveLength(1);
    expect(studio.problemsOn("events")).toHaveLength(1);
    expect(studio.problemsOn("sections")).toHaveLength(0);
  });

  it("a preview with problems keeps the last good one", async () => {
    routes["POST /api/preview"] = () => [200, { version: 9, problems: [{ page: "events", field: "x", key: null, message: "m", at: null }] }];
    const before = studio.preview;
    setTitle("E2");
    await vi.advanceTimersByTimeAsync(200);
    expect(studio.preview).toEqual(before);
  });

  it("client date checks show at once and speak for their field over the server's older answer", () => {
    studio.problems = [{ page: "events", field: "event-end", key: "e1", message: "server says", at: null }];
    studio.edit((d) => void (d.events[0]!.end = "2026-12-01T17:00"));
    expect(studio.problemsFor("event-end", "e1").map((p) => p.message)).toEqual(["The event ends before it starts"]);
  });

  it("save sends the loaded revs and the drafts; a good save is clean with the new revs", async () => {
    routes["PUT /api/save"] = (body) => {
      const d = doc({ "events.toml": "r2" });
      d.drafts = (body as { drafts: Drafts }).drafts;
      return [200, d];
    };
    setTitle("E2");
    await studio.save();
    const put = calls.find((c) => c.method === "PUT")!;
    expect(put.body).toMatchObject({ base_revs: { "events.toml": "r1" } });
    expect((put.body as { consent?: string }).consent).toBeUndefined();
    expect([studio.dirty, studio.canUndo, studio.savedAt !== null]).toEqual([false, false, true]);
    expect(studio.content?.revs).toEqual({ "events.toml": "r2" });
  });

  it("save answers 409 and 422 become the banner, the consent question and the problems", async () => {
    setTitle("E2");
    routes["PUT /api/save"] = () => [409, { code: "changed_on_disk", files: ["events.toml"], message: "m" }];
    await studio.save();
    expect(studio.conflict).toEqual(["events.toml"]);
    expect(studio.dirty, "nothing was saved").toBe(true);
    routes["PUT /api/save"] = () => [409, { code: "consent_meaning", message: "m" }];
    await studio.save();
    expect(studio.consentQuestion).toBe(true);
    routes["PUT /api/save"] = () => [422, { code: "problems", message: "m", problems: [{ page: "sections", field: "content", key: null, message: "p", at: null }] }];
    await studio.save("new_version");
    expect((calls.at(-1)!.body as { consent: string }).consent).toBe("new_version");
    expect(studio.consentQuestion).toBe(false);
    expect(studio.problemsOn("sections").map((p) => p.message)).toEqual(["p"]);
  });

  it("polls the revs every 3 s and shows the files changed on disk", async () => {
    await vi.advanceTimersByTimeAsync(3000);
    expect(studio.conflict).toEqual([]);
    routes["GET /api/revs"] = () => [200, { revs: { "events.toml": "other" } }];
    await vi.advanceTimersByTimeAsync(3000);
    expect(studio.conflict).toEqual(["events.toml"]);
    routes["GET /api/revs"] = () => [200, { revs: { "events.toml": "r1" } }];
    await studio.load();
    expect(studio.conflict, "reload clears the banner").toEqual([]);
  });

  it("a server that does not answer is reported as offline", async () => {
    vi.stubGlobal("fetch", async () => {
      throw new TypeError("Failed to fetch");
    });
    await studio.load();
    expect(studio.error).toMatch(/does not answer/);
  });
});

describe("the refused save's banner", () => {
  it("goes once a check finds the problems fixed, and not before", async () => {
    routes["PUT /api/save"] = () => [422, { code: "problems", message: "m", problems: [{ page: "events", field: "event-end", key: "e1", message: "p", at: null }] }];
    setTitle("E2");
    await studio.save();
    expect(studio.error).toMatch(/Nothing was saved/);
    routes["POST /api/check"] = () => [200, { problems: [{ page: "events", field: "event-end", key: "e1", message: "p", at: null }], notes: [] }];
    setTitle("E3");
    await vi.advanceTimersByTimeAsync(500);
    expect(studio.error, "still a problem: the banner stays").toMatch(/Nothing was saved/);
    routes["POST /api/check"] = () => [200, { problems: [], notes: [] }];
    setTitle("E4");
    await vi.advanceTimersByTimeAsync(500);
    expect(studio.error).toBeNull();
  });
});

describe("revealLanguageOf", () => {
  it("switches the translation to the problem's language, not to the default or to a non-language", async () => {
    await studio.load();
    studio.translationLang = null;
    studio.revealLanguageOf({ page: "events", field: "event-end", key: "e1", message: "", at: null });
    studio.revealLanguageOf({ page: "events", field: "event-title-en", key: "e1", message: "", at: null });
    expect(studio.translationLang).toBeNull();
    studio.revealLanguageOf({ page: "events", field: "event-title-kk", key: "e1", message: "", at: null });
    expect(studio.translationLang).toBe("kk");
  });
});

describe("changedFiles", () => {
  it("names files changed, added or gone", () => {
    expect(changedFiles({ a: "1", b: "2", c: "3" }, { a: "1", b: "x", d: "4" })).toEqual(["b", "c", "d"]);
  });
});
