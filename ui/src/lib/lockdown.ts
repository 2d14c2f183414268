// Nothing escapes the kiosk: no context menu, no selection outside inputs,
// no zoom, no navigation, no reload or close shortcuts, no new windows.
const blockedKeys = new Set(["F5", "F7", "F11", "F12", "BrowserBack", "BrowserForward", "BrowserRefresh"]);
const blockedCtrlKeys = new Set(["r", "w", "q", "n", "t", "p", "s", "o", "u", "f", "g", "+", "-", "=", "0", "i", "j"]);

function isEditable(target: EventTarget | null): boolean {
  return target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement;
}

export function lockDown(win: Window): void {
  const doc = win.document;
  doc.addEventListener("contextmenu", (e) => e.preventDefault());
  doc.addEventListener("selectstart", (e) => {
    if (!isEditable(e.target)) e.preventDefault();
  });
  doc.addEventListener("dragstart", (e) => e.preventDefault());
  // Links in content have no target, but never let any navigate.
  doc.addEventListener("click", (e) => {
    const a = (e.target as Element | null)?.closest?.("a");
    if (a) e.preventDefault();
  });
  win.addEventListener("wheel", (e) => {
    if (e.ctrlKey) e.preventDefault();
  }, { passive: false });
  for (const type of ["gesturestart", "gesturechange", "gestureend"]) {
    doc.addEventListener(type, (e) => e.preventDefault());
  }
  win.addEventListener("keydown", (e) => {
    const ctrl = e.ctrlKey || e.metaKey;
    if (blockedKeys.has(e.key) || (ctrl && blockedCtrlKeys.has(e.key.toLowerCase())) || (e.altKey && e.key.startsWith("Arrow"))) {
      e.preventDefault();
      e.stopPropagation();
    }
  }, { capture: true });
  win.open = () => null;
}
