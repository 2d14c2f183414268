// Work that must not stand between a touch and the screen it brings: run
// once the next frame has been drawn. An IPC call made in a tap's handler
// costs the page and the shell CPU while they draw that tap's screen
// (kiosk-glass-bench: the shell and page CPU per tap).

/** Runs `f` after the next frame (in a task of its own, after the rendering update). */
export function afterFrame(f: () => void, frame: (cb: () => void) => void = requestAnimationFrame): void {
  frame(() => setTimeout(f, 0));
}
