import { beforeEach, describe, expect, it, vi } from "vitest";
import type { SectionView } from "./api";
import { forgetSections, loadSection, peekSection, preloadSections } from "./sections";

// The shell, faked: each `api.section` call is one IPC round trip.
const section = vi.hoisted(() => vi.fn<(id: string, lang: string | null) => Promise<SectionView>>());
vi.mock("./api", () => ({ api: { section } }));

const view = (id: string, lang: string, title = `${id} in ${lang}`): SectionView => ({ id, title, html: "", lang });

beforeEach(() => {
  forgetSections();
  section.mockReset();
  section.mockImplementation((id, lang) => Promise.resolve(view(id, lang ?? "en")));
});

describe("the sections' texts", () => {
  it("are fetched once and then shown from memory", async () => {
    expect(peekSection("visas", "en"), "nothing is here before the first fetch").toBeUndefined();
    const first = await loadSection("visas", "en");
    expect(peekSection("visas", "en")).toEqual(first);
    expect(await loadSection("visas", "en")).toBe(first);
    expect(section).toHaveBeenCalledTimes(1);
  });

  it("share one round trip when asked for twice before it answers", async () => {
    const [a, b] = await Promise.all([loadSection("visas", "en"), loadSection("visas", "en")]);
    expect(a).toBe(b);
    expect(section).toHaveBeenCalledTimes(1);
  });

  it("are kept per language", async () => {
    expect((await loadSection("visas", "en")).title).toBe("visas in en");
    expect((await loadSection("visas", "ru")).title).toBe("visas in ru");
    expect(section).toHaveBeenCalledTimes(2);
  });

  it("are not kept when the fetch fails, so the next open tries again", async () => {
    section.mockRejectedValueOnce({ code: "not_found", message: "no such section" });
    await expect(loadSection("visas", "en")).rejects.toEqual({ code: "not_found", message: "no such section" });
    expect(peekSection("visas", "en")).toBeUndefined();
    expect((await loadSection("visas", "en")).title).toBe("visas in en");
    expect(section).toHaveBeenCalledTimes(2);
  });

  it("are fetched again after new content is switched in", async () => {
    await loadSection("visas", "en");
    section.mockImplementation((id, lang) => Promise.resolve(view(id, lang ?? "en", "new text")));
    forgetSections();
    expect(peekSection("visas", "en"), "the old text is gone").toBeUndefined();
    expect((await loadSection("visas", "en")).title).toBe("new text");
  });

  it("asked for before new content came and answered after it are not kept as the new content's", async () => {
    let answer: (v: SectionView) => void = () => undefined;
    section.mockImplementationOnce(() => new Promise((r) => (answer = r)));
    const old = loadSection("visas", "en");
    forgetSections();
    answer(view("visas", "en", "old text"));
    expect((await old).title, "the caller that asked still gets its answer").toBe("old text");
    expect(peekSection("visas", "en"), "but the old text is not kept").toBeUndefined();
    expect((await loadSection("visas", "en")).title).toBe("visas in en");
  });

  it("are preloaded in the background, a failing one quietly left for the visitor's own open", async () => {
    section.mockImplementation((id, lang) =>
      id === "broken" ? Promise.reject(new Error("damaged")) : Promise.resolve(view(id, lang ?? "en")),
    );
    preloadSections(["visas", "broken", "history"], "kk");
    await vi.waitFor(() => expect(peekSection("history", "kk")).toBeDefined());
    expect(peekSection("visas", "kk")).toBeDefined();
    expect(peekSection("broken", "kk")).toBeUndefined();
    expect(section.mock.calls.map(([id]) => id)).toEqual(["visas", "broken", "history"]);
  });
});
