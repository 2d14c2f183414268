import { describe, expect, it } from "vitest";
import { createPreview, type AudioLike, type PreviewDeps } from "./preview-shim";

type Call = { cmd: string; args: Record<string, unknown> };

/** A studio server answering /preview/ipc from a table, and a clock moved by hand. */
function setup(answers: Record<string, { status?: number; body: unknown }> = {}, lang: string | null = "kk") {
  const calls: Call[] = [];
  const posted: unknown[] = [];
  const frames: (() => void)[] = [];
  const timers: { ms: number; fn: () => void; live: boolean }[] = [];
  const on: Record<string, () => void> = {};
  let clock = 0;
  const audio: AudioLike & { played: string[]; fire: (type: string) => void } = {
    src: "",
    currentTime: 0,
    duration: 90,
    paused: true,
    volume: 1,
    played: [],
    async play() {
      (this as { paused: boolean }).paused = false;
      this.played.push(this.src);
    },
    pause() {
      (this as { paused: boolean }).paused = true;
    },
    addEventListener(type, fn) {
      on[type] = fn;
    },
    fire: (type) => on[type]?.(),
  };
  const deps: PreviewDeps = {
    fetch: (async (_url: string, init: RequestInit) => {
      const call = JSON.parse(String(init.body)) as Call;
      calls.push(call);
      const a = answers[call.cmd] ?? { status: 404, body: { code: "unknown_command", message: "no" } };
      return new Response(JSON.stringify(a.body), { status: a.status ?? 200 });
    }) as typeof fetch,
    now: () => clock,
    every: (ms, fn) => {
      const t = { ms, fn, live: true };
      timers.push(t);
      return () => {
        t.live = false;
      };
    },
    nextFrame: (fn) => frames.push(fn),
    lang,
    post: (m) => posted.push(m),
    audio: () => audio,
  };
  const preview = createPreview(deps);
  const heard: Record<string, unknown[]> = {};
  async function listen(event: string): Promise<number> {
    const handler = preview.transformCallback((e) => {
      expect(e.event, "a handler is called with its own event name").toBe(event);
      (heard[event] ??= []).push(e.payload);
    });
    return (await preview.invoke("plugin:event|listen", { event, target: { kind: "Any" }, handler })) as number;
  }
  const tick = () => timers.filter((t) => t.live).forEach((t) => t.fn());
  const advance = (ms: number) => (clock += ms);
  return { preview, calls, posted, frames, timers, heard, listen, tick, audio, advance };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

const HOME = { attract_slide_secs: 8, sections: [{ id: "visas" }, { id: "culture" }] };

describe("preview shim", () => {
  it("sends content commands to the studio under their kiosk names", async () => {
    const { preview, calls } = setup({ section: { body: { id: "visas", title: "Visas" } } });
    const answer = await preview.invoke("section", { id: "visas", lang: "ru" });
    expect(answer, "the server's answer is the command's result").toEqual({ id: "visas", title: "Visas" });
    expect(calls, "the command goes out as {cmd, args}").toEqual([{ cmd: "section", args: { id: "visas", lang: "ru" } }]);
  });

  it("fills a null lang from the frame's ?lang=", async () => {
    const { preview, calls } = setup({ upcoming_events: { body: [] } }, "kk");
    await preview.invoke("upcoming_events", { lang: null });
    expect(calls[0]?.args.lang, "lang: null must ask for the language the studio chose").toBe("kk");
  });

  it("passes the server's refusal on as {code, message}", async () => {
    const { preview } = setup({ home: { status: 422, body: { code: "bundle_corrupt", message: "bad" } } });
    await expect(preview.invoke("home", { lang: null }), "a 4xx must reject, not resolve").rejects.toEqual({
      code: "bundle_corrupt",
      message: "bad",
    });
  });

  it("refuses staff commands and unknown ones without asking the server", async () => {
    const { preview, calls } = setup();
    await expect(preview.invoke("staff_unlock", { pin: "1234" })).rejects.toMatchObject({ code: "staff_not_configured" });
    await expect(preview.invoke("staff_overview")).rejects.toMatchObject({ code: "staff_not_configured" });
    await expect(preview.invoke("launch_rockets")).rejects.toMatchObject({ code: "unknown_command" });
    await expect(preview.invoke("toString"), "object built-ins are not commands").rejects.toMatchObject({
      code: "unknown_command",
    });
    expect(calls, "refused commands never reach the server").toEqual([]);
  });

  it("keeps visitor actions local: signups say added and tell the studio, nothing is sent", async () => {
    const { preview, calls, posted } = setup();
    expect(await preview.invoke("touch")).toBeNull();
    expect(await preview.invoke("section_viewed", { id: "visas" })).toBeNull();
    const outcome = await preview.invoke("signup_submit", { email: "a@b.kz", name: "A", consent: true });
    expect(outcome, "the kiosk shows its thank-you").toBe("added");
    expect(posted, "the studio learns that a signup was tried").toEqual([{ type: "signup" }]);
    expect(calls, "no signup reaches the server").toEqual([]);
  });

  it("delivers emitted events to listeners until they unlisten", async () => {
    const { preview, listen, heard } = setup();
    const id = await listen("content");
    await listen("music");
    preview.emit("content", 7);
    expect(heard.content, "the listener gets the payload").toEqual([7]);
    expect(heard.music, "other events' listeners are not called").toBeUndefined();
    preview.unregisterListener("content", id);
    await preview.invoke("plugin:event|unlisten", { event: "content", eventId: id });
    preview.emit("content", 8);
    expect(heard.content, "after unlisten nothing arrives").toEqual([7]);
  });

  it("reports a new version shown after the next home answer and a frame", async () => {
    const { preview, listen, heard, posted, frames } = setup({ home: { body: HOME } });
    await listen("content");
    preview.onMessage({ type: "content", version: 12 });
    expect(heard.content, "the kiosk's content event carries the version").toEqual([12]);
    expect(posted, "not shown before the kiosk asked for home").toEqual([]);
    await preview.invoke("home", { lang: null });
    expect(posted, "not shown before the frame painted").toEqual([]);
    frames.forEach((f) => f());
    expect(posted).toEqual([{ type: "shown", version: 12 }]);
  });

  it("does not take a home answer asked for before the new version for the new version shown", async () => {
    const { preview, listen, posted, frames } = setup({ home: { body: HOME } });
    await listen("content");
    // A background fetch of another language, still in flight when the edit lands.
    const inFlight = preview.invoke("home", { lang: "ru" });
    preview.onMessage({ type: "content", version: 12 });
    await inFlight;
    frames.forEach((f) => f());
    expect(posted, "the old content's answer shows nothing new").toEqual([]);
    await preview.invoke("home", { lang: null });
    frames.forEach((f) => f());
    expect(posted).toEqual([{ type: "shown", version: 12 }]);
  });

  it("plays attract slides: sections, then events, until a touch", async () => {
    const { preview, listen, heard, tick, timers, posted } = setup({
      home: { body: HOME },
      upcoming_events: { body: [{ id: "concert" }] },
    });
    await listen("attract");
    preview.onMessage({ type: "attract" });
    await flush();
    expect(timers[0]?.ms, "one slide every attract_slide_secs").toBe(8000);
    tick();
    tick();
    tick();
    const slide = (id: string, kind: string) => ({ action: "show_slide", slide: { kind, id } });
    expect(heard.attract).toEqual([
      { action: "reset_visitor" },
      slide("visas", "section"),
      slide("culture", "section"),
      slide("concert", "event"),
      slide("visas", "section"),
    ]);
    await preview.invoke("touch");
    tick();
    expect(heard.attract?.at(-1), "a touch leaves attract mode").toEqual({ action: "show_home" });
    expect(heard.attract?.length, "and no slide follows").toBe(6);
    expect(posted, "the studio learns that attract mode ended").toEqual([{ type: "attract-stopped" }]);
  });

  it("takes the server's attract schedule when it has one", async () => {
    const { preview, listen, heard } = setup({
      home: { body: HOME },
      attract_slides: { body: [{ kind: "event", id: "concert" }] },
    });
    await listen("attract");
    preview.onMessage({ type: "attract" });
    await flush();
    expect(heard.attract?.[1], "the server's slides come first").toEqual({
      action: "show_slide",
      slide: { kind: "event", id: "concert" },
    });
    preview.onMessage({ type: "attract-stop" });
    expect(heard.attract?.at(-1), "the studio's Stop leaves attract mode").toEqual({ action: "show_home" });
  });

  it("plays music from the preview bundle and reports its state", async () => {
    const { preview, audio, listen, heard } = setup();
    await listen("music");
    const playing = (await preview.invoke("music_toggle", { id: "anthem" })) as { state: string; track: string };
    expect(audio.src, "the track comes from the preview bundle").toBe("/preview/audio/anthem");
    expect(playing, "the status says what plays").toMatchObject({ state: "playing", track: "anthem", duration_ms: 90000 });
    expect(await preview.invoke("music_toggle", { id: "anthem" }), "toggling the same track pauses").toMatchObject({
      state: "paused",
    });
    expect(await preview.invoke("music_stop"), "stop unloads").toMatchObject({ state: "stopped", track: null });
    expect(heard.music?.at(-1), "stop is announced to the kiosk").toMatchObject({ state: "stopped" });
  });

  it("announces progress once a second and the end of a track", async () => {
    const { preview, audio, listen, heard, advance } = setup();
    await listen("music");
    await preview.invoke("music_toggle", { id: "anthem" });
    advance(1000);
    audio.fire("timeupdate");
    advance(250);
    audio.fire("timeupdate");
    advance(250);
    audio.fire("timeupdate");
    expect(heard.music?.length, "progress is throttled to one event a second").toBe(1);
    advance(600);
    audio.fire("timeupdate");
    expect(heard.music?.length, "a second later the next one comes").toBe(2);
    audio.fire("ended");
    expect(heard.music?.at(-1), "a track that ended leaves the player stopped").toMatchObject({ state: "stopped", track: null });
  });
});
