// Start-up marks (Unix ms), which the shell logs ("first content painted …")
// so start-up can be measured from outside: kiosk-bench and kiosk-compare read
// them, and the e2e suite checks that the first screen needed no IPC round
// trip (no `ipc_start`). In order: `script` (this page's code runs), then
// `ipc_start` and `data` only if the shell put no first screen in the page,
// then `rendered` (in the DOM) and `painted` (two animation frames later).
import { tick } from "svelte";
import { api } from "../lib/api";

/** What the marks need from the page; a test passes its own. */
export interface StartupIo {
  /** Now, as Unix ms with sub-millisecond precision. */
  now(): number;
  /** Resolves once the pending DOM update is applied. */
  afterUpdate(): Promise<void>;
  /** Calls `f` before the next frame is painted. */
  frame(f: () => void): void;
  /** Hands the marks to the shell. */
  send(marks: Record<string, number>): void;
}

const page: StartupIo = {
  now: () => performance.timeOrigin + performance.now(),
  afterUpdate: tick,
  frame: (f) => requestAnimationFrame(f),
  send: (marks) => void api.contentPainted(marks),
};

export interface StartupMarks {
  /** Marks `name` now, unless the first content is already on screen. */
  mark(name: string): void;
  /** Content is in the DOM: the first time, mark `rendered`, then `painted` two frames later, and send the marks. */
  shown(): void;
}

/** Starts the marks with `script`, now: call it as the page's code starts. */
export function startupMarks(io: StartupIo = page): StartupMarks {
  const marks: Record<string, number> = { script: io.now() };
  let painted = false;
  const mark = (name: string) => (marks[name] = io.now());
  return {
    mark(name) {
      if (!painted) mark(name);
    },
    shown() {
      if (painted) return;
      painted = true;
      void io.afterUpdate().then(() => {
        mark("rendered");
        io.frame(() =>
          io.frame(() => {
            mark("painted");
            io.send(marks);
          }),
        );
      });
    },
  };
}
