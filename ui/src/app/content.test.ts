import { describe, expect, it, vi } from "vitest";
import type { Home, SectionView } from "../lib/api";
import { peekSection, loadSection } from "../lib/sections";
import { onNewContent, sectionGone } from "./content";

// The shell, faked: `fire` sends a `content` event.
const shell = vi.hoisted(() => ({ handler: (() => {}) as (version: number) => void }));
vi.mock("../lib/api", () => ({
  api: {
    section: (id: string, lang: string): Promise<SectionView> => Promise.resolve({ id, title: id, html: "", lang }),
    onContent: (h: (version: number) => void) => {
      shell.handler = h;
      return Promise.resolve(() => {});
    },
  },
}));

const homeWith = (...ids: string[]) => ({ sections: ids.map((id) => ({ id })) }) as Home;

describe("new content", () => {
  it("sends a visitor home from a topic the new bundle no longer has", () => {
    expect(sectionGone({ name: "section", id: "visas" }, homeWith("history"))).toBe(true);
    expect(sectionGone({ name: "section", id: "visas" }, null), "no content at all").toBe(true);
  });

  it("leaves a visitor on a topic that is still there, or on any other screen", () => {
    expect(sectionGone({ name: "section", id: "visas" }, homeWith("history", "visas"))).toBe(false);
    expect(sectionGone({ name: "signup" }, homeWith())).toBe(false);
    expect(sectionGone({ name: "home" }, homeWith())).toBe(false);
  });

  it("forgets the kept texts before reloading, and only then updates the screen", async () => {
    await loadSection("visas", "en");
    const steps: string[] = [];
    let reloaded: () => void = () => {};
    await onNewContent(
      () => {
        steps.push(peekSection("visas", "en") ? "reload with old texts" : "reload");
        return new Promise((resolve) => (reloaded = resolve));
      },
      () => steps.push("after"),
    );
    shell.handler(2);
    expect(steps, "the screen waits for the new content").toEqual(["reload"]);
    reloaded();
    await vi.waitFor(() => expect(steps).toEqual(["reload", "after"]));
  });
});
