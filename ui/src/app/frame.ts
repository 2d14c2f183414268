// Work that must not stand between a touch and the screen it brings: run
// once the next frame has been drawn. An IPC call made in a tap's handler
// costs the page and the shell CPU while they draw that tap's screen
// (kiosk-glass-bench: the shell and page CPU per tap).

/** At the latest after this, frame or not (WebKit draws none while the window is unmapped or hidden). */
export const AFTER_FRAME_MAX_MS = 100;

/** Runs `f` once: after the next frame (in a task of its own), or after [`AFTER_FRAME_MAX_MS`] if no frame comes. */
export function afterFrame(f: () => void, frame: (cb: () => void) => void = requestAnimationFrame): void {
  let done = false;
  const once = () => {
    if (done) return;
    done = true;
    f();
  };
  const fallback = setTimeout(once, AFTER_FRAME_MAX_MS);
  frame(() =>
    setTimeout(() => {
      clearTimeout(fallback);
      once();
    }, 0),
  );
}
