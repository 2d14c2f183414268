import { beforeEach, describe, expect, it, vi } from "vitest";
import type { Home } from "./api";
import { forgetKept } from "./kept";
import { consents, homes, preloadFor, tracks } from "./kept-content";

// The shell, faked: each call is one IPC round trip.
const api = vi.hoisted(() => ({
  home: vi.fn((lang: string | null) => Promise.resolve({ lang: lang ?? "default" })),
  upcomingEvents: vi.fn((lang: string | null) => Promise.resolve([{ id: `e-${lang ?? "default"}` }])),
  musicTracks: vi.fn((lang: string | null) => Promise.resolve([{ id: `t-${lang}` }])),
  signupConsent: vi.fn((lang: string | null) => Promise.resolve({ lang, version: 1 })),
}));
vi.mock("./api", () => ({ api }));

const home = (lang: string, languages: string[]) =>
  ({ lang, languages: languages.map((code) => ({ code, name: code, direction: "ltr" })) }) as unknown as Home;

beforeEach(() => {
  forgetKept();
  for (const f of Object.values(api)) f.mockClear();
});

describe("what a touch on the home screen may show next", () => {
  it("is fetched in the background: the home screen in every language, the tracks and the statement in this one", async () => {
    preloadFor(home("en", ["en", "kk", "ru"]));
    await vi.waitFor(() => expect(consents.peek("en")).toBeDefined());
    await vi.waitFor(() => expect(homes.peek("ru")).toBeDefined());
    expect(homes.peek("kk")).toEqual({ home: { lang: "kk" }, events: [{ id: "e-kk" }] });
    expect(tracks.peek("en")).toEqual([{ id: "t-en" }]);
    expect(tracks.peek("kk"), "the other languages' tracks wait until a switch").toBeUndefined();
    expect(api.home.mock.calls).toEqual([["en"], ["kk"], ["ru"]]);
  });

  it("is shown from memory after that: a second preload asks the shell nothing", async () => {
    preloadFor(home("en", ["en", "kk"]));
    await vi.waitFor(() => expect(homes.peek("kk")).toBeDefined());
    await vi.waitFor(() => expect(consents.peek("en")).toBeDefined());
    const calls = Object.values(api).map((f) => f.mock.calls.length);
    preloadFor(home("en", ["en", "kk"]));
    await homes.load("kk");
    expect(Object.values(api).map((f) => f.mock.calls.length)).toEqual(calls);
  });

  it("in the bundle's default language (no language chosen) asks the shell for its default", async () => {
    expect(await homes.load("")).toEqual({ home: { lang: "default" }, events: [{ id: "e-default" }] });
    expect(api.home).toHaveBeenCalledWith(null);
  });

  it("is all forgotten when new content is switched in", async () => {
    await Promise.all([homes.load("en"), tracks.load("en"), consents.load("en")]);
    forgetKept();
    expect([homes.peek("en"), tracks.peek("en"), consents.peek("en")]).toEqual([undefined, undefined, undefined]);
  });
});
