import { describe, expect, it } from "vitest";
import { startupMarks, type StartupIo } from "./startup";

/** A page with a hand-driven clock, DOM update and frames; `sent` is what reached the shell. */
function page() {
  let now = 1000;
  let update: () => void = () => {};
  const frames: (() => void)[] = [];
  const sent: Record<string, number>[] = [];
  const io: StartupIo = {
    now: () => now,
    afterUpdate: () => new Promise((resolve) => (update = resolve)),
    frame: (f) => frames.push(f),
    send: (marks) => sent.push({ ...marks }),
  };
  return {
    io,
    sent,
    at: (ms: number) => (now = ms),
    /** Applies the DOM update and lets its handlers run. */
    update: async () => {
      update();
      await Promise.resolve();
    },
    frame: () => frames.shift()?.(),
  };
}

describe("the start-up marks", () => {
  it("reach the shell once the first content is painted: two frames after it is in the DOM", async () => {
    const p = page();
    const marks = startupMarks(p.io);
    p.at(1010);
    marks.shown();
    p.at(1020);
    await p.update();
    p.at(1030);
    p.frame();
    expect(p.sent, "one frame is not yet painted").toEqual([]);
    p.at(1040);
    p.frame();
    expect(p.sent).toEqual([{ script: 1000, rendered: 1020, painted: 1040 }]);
  });

  it("time the IPC round trip only when the first screen had to be fetched", async () => {
    const p = page();
    const marks = startupMarks(p.io);
    p.at(1005);
    marks.mark("ipc_start");
    p.at(1015);
    marks.mark("data");
    marks.shown();
    await p.update();
    p.frame();
    p.frame();
    expect(p.sent).toEqual([{ script: 1000, ipc_start: 1005, data: 1015, rendered: 1015, painted: 1015 }]);
  });

  it("ignore later loads: the marks describe the launch only", async () => {
    const p = page();
    const marks = startupMarks(p.io);
    marks.shown();
    await p.update();
    p.frame();
    p.frame();
    p.at(5000);
    marks.mark("ipc_start"); // a language change after the launch
    marks.shown();
    await p.update();
    p.frame();
    expect(p.sent, "sent once, without the later load").toEqual([{ script: 1000, rendered: 1000, painted: 1000 }]);
  });
});
