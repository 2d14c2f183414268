import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiFailure, getJson, sendJson, upload } from "./api";

afterEach(() => vi.unstubAllGlobals());

function answer(status: number, text: string) {
  const seen: { url: string; init: RequestInit }[] = [];
  vi.stubGlobal("fetch", async (url: string, init: RequestInit) => {
    seen.push({ url, init });
    return new Response(text, { status });
  });
  return seen;
}

async function failure(p: Promise<unknown>): Promise<ApiFailure> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ApiFailure) return e;
    throw e;
  }
  throw new Error("expected an ApiFailure");
}

describe("api", () => {
  it("sends JSON with its content type, and raw bytes as octet-stream", async () => {
    const seen = answer(200, '{"ok":true}');
    expect(await sendJson("PUT", "/api/save", { a: 1 })).toEqual({ ok: true });
    await upload("/api/music/upload?name=a.ogg", new Blob([new Uint8Array([1, 2])]));
    expect(await getJson("/api/revs")).toEqual({ ok: true });
    expect(seen[0]!.init.method).toBe("PUT");
    expect(new Headers(seen[0]!.init.headers).get("content-type")).toBe("application/json");
    expect(seen[0]!.init.body).toBe('{"a":1}');
    expect(new Headers(seen[1]!.init.headers).get("content-type")).toBe("application/octet-stream");
    expect(seen[2]!.init.method).toBe("GET");
  });

  it("a non-2xx answer throws the server's {code, message} with the status", async () => {
    answer(409, '{"code":"changed_on_disk","message":"Changed.","files":["events.toml"]}');
    const e = await failure(getJson("/api/content"));
    expect([e.status, e.body.code, e.body.message, e.body.files]).toEqual([409, "changed_on_disk", "Changed.", ["events.toml"]]);
    expect(e.message).toBe("Changed.");
  });

  it("an answer that is not the error JSON still gives a code and words", async () => {
    answer(502, "<html>Bad gateway</html>");
    const e = await failure(getJson("/api/content"));
    expect([e.status, e.body.code]).toEqual([502, "http_502"]);
    expect(e.body.message).toMatch(/502/);
    answer(500, '{"error":"boom"}');
    expect((await failure(getJson("/api/content"))).body.code, "JSON without a code is not the error shape").toBe("http_500");
  });

  it("no answer at all is code offline", async () => {
    vi.stubGlobal("fetch", async () => {
      throw new TypeError("Failed to fetch");
    });
    const e = await failure(sendJson("POST", "/api/check", {}));
    expect([e.status, e.body.code]).toEqual([0, "offline"]);
  });
});
