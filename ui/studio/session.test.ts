import { describe, expect, it } from "vitest";
import { adoptKey, keyHeader } from "./session";

function memory(): Storage {
  const m = new Map<string, string>();
  return {
    getItem: (k) => m.get(k) ?? null,
    setItem: (k, v) => void m.set(k, v),
    removeItem: (k) => void m.delete(k),
    clear: () => m.clear(),
    key: () => null,
    get length() {
      return m.size;
    },
  };
}

describe("the page key", () => {
  it("is taken from the login redirect's fragment, which is then removed", () => {
    const storage = memory();
    const replaced: string[] = [];
    adoptKey({ hash: "#key=0123456789abcdef0123", pathname: "/", search: "" }, storage, {
      replaceState: (_d: unknown, _t: string, url?: string | URL | null) => void replaced.push(String(url)),
    });
    expect(keyHeader(storage)).toEqual({ "x-studio-key": "0123456789abcdef0123" });
    expect(replaced).toEqual(["/"]);
  });

  it("is not taken from anything else, and no header is sent without it", () => {
    const storage = memory();
    const history = { replaceState: () => {} };
    for (const hash of ["", "#key=", "#key=XYZ", "#key=abc", "#other=0123456789abcdef"]) {
      adoptKey({ hash, pathname: "/", search: "" }, storage, history);
    }
    expect(keyHeader(storage)).toEqual({});
    expect(keyHeader(undefined)).toEqual({});
  });
});
