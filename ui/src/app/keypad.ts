// What a keypad (EZ Access model) moves through: the items of the screen in
// reading order, each with the words that say it. Pure DOM reading, no state,
// so the rules are tested without a window:
// - an item is anything a visitor can press (a button, a field, a checkbox)
//   and every piece of text they would read (headings, paragraphs, list
//   entries, an error or a confirmation), but text inside a button is the
//   button's own, not an item of its own;
// - only the top layer counts: while a dialog is open (the accessibility
//   options, the "more time" prompt, the language chooser, the staff PIN),
//   only its items can be reached, as a finger could reach only them;
// - hidden, inert and `aria-hidden` parts are skipped, so the keypad never
//   lands on something the screen does not show.

/** What can be pressed. */
const PRESSABLE = "button, a[href], input, select, textarea, [role='button'], [role='checkbox']";
/** What is read. */
const READABLE = "h1, h2, h3, h4, p, li, dt, dd, th, td, figcaption, [role='status'], [role='alert'], [data-read]";

/** The open layer the keypad is confined to: the last open dialog, else `root`. */
export function topLayer(root: ParentNode): ParentNode {
  const dialogs = [...root.querySelectorAll<HTMLElement>("[role='dialog'], [aria-modal='true']")].filter(shown);
  return dialogs.at(-1) ?? root;
}

/** Whether `el` is on screen for a visitor (not hidden, inert or aria-hidden). */
export function shown(el: Element): boolean {
  if (el.closest("[inert], [aria-hidden='true'], [hidden]")) return false;
  if (!(el instanceof HTMLElement)) return false;
  if (el.getClientRects().length === 0) return false;
  const style = getComputedStyle(el);
  return style.visibility !== "hidden" && style.display !== "none";
}

function pressable(el: Element): boolean {
  return el.matches(PRESSABLE);
}

/** The items of the top layer in reading (document) order. */
export function items(root: ParentNode): HTMLElement[] {
  const layer = topLayer(root);
  const all = [...layer.querySelectorAll<HTMLElement>(`${PRESSABLE}, ${READABLE}`)];
  return all.filter((el) => {
    if (!shown(el)) return false;
    if (el instanceof HTMLButtonElement && el.disabled) return true; // said as unavailable, not skipped
    if (pressable(el)) return true;
    // Text inside something pressable is that thing's words.
    if (el.parentElement?.closest(PRESSABLE)) return false;
    // A list entry or block that holds pressable things is read through them.
    if (el.querySelector(PRESSABLE)) return false;
    // A text block inside another one is read as part of it (unless that one
    // is read through its buttons, as a track's entry is).
    const outer = el.parentElement?.closest(READABLE);
    if (outer && !outer.querySelector(PRESSABLE)) return false;
    return (el.textContent ?? "").trim() !== "";
  });
}

/** The index `step` items on from `from` (-1: none yet), wrapping round. */
export function step(count: number, from: number, by: 1 | -1): number {
  if (count === 0) return -1;
  if (from < 0) return by > 0 ? 0 : count - 1;
  return (from + by + count) % count;
}

function squash(s: string): string {
  return s.replace(/\s+/g, " ").trim();
}

/** The words a field's label gives it (`<label>` around it or `for` it, or aria-label). */
function fieldLabel(el: HTMLElement): string {
  const aria = el.getAttribute("aria-label");
  if (aria) return aria;
  const label = el.closest("label") ?? (el.id ? document.querySelector(`label[for="${CSS.escape(el.id)}"]`) : null);
  if (!label) return "";
  // The label's own words, not a field's value inside it.
  const copy = label.cloneNode(true) as HTMLElement;
  copy.querySelectorAll("input, select, textarea").forEach((f) => f.remove());
  return squash(copy.textContent ?? "");
}

/** Words for the states an item can be in ("on", "off", "unavailable"). */
export interface StateWords {
  on: string;
  off: string;
  unavailable: string;
}

/** What is said for `el`: its label, its value, its state. */
export function labelOf(el: HTMLElement, words: StateWords): string {
  const parts: string[] = [];
  if (el instanceof HTMLInputElement && (el.type === "checkbox" || el.type === "radio")) {
    parts.push(fieldLabel(el), el.checked ? words.on : words.off);
  } else if (el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement) {
    parts.push(fieldLabel(el) || el.placeholder, el.value);
  } else {
    parts.push(el.getAttribute("aria-label") || squash(el.innerText || el.textContent || ""));
    const pressed = el.getAttribute("aria-pressed");
    if (pressed === "true") parts.push(words.on);
    else if (pressed === "false") parts.push(words.off);
  }
  if ((el instanceof HTMLButtonElement || el instanceof HTMLInputElement) && el.disabled) parts.push(words.unavailable);
  return parts.filter((p) => p.trim() !== "").join(". ");
}

/** The language `el` is written in, as its nearest `lang` says (else `fallback`). */
export function langOf(el: Element, fallback: string): string {
  const tagged = el.closest("[lang]")?.getAttribute("lang");
  return tagged && tagged.trim() !== "" ? tagged : fallback;
}

/** The item of `list` holding `target` (a touch on a button's label is a touch on the button). */
export function itemAt(list: HTMLElement[], target: EventTarget | null): HTMLElement | null {
  if (!(target instanceof Node)) return null;
  let best: HTMLElement | null = null;
  for (const el of list) {
    if (el.contains(target) && (!best || best.contains(el))) best = el;
  }
  return best;
}
