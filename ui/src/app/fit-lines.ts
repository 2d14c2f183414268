// A topic card's excerpt shows whole lines. The cards of a row share its
// height, and the room under a card's title depends on the content (a title
// that wraps, a longer language, the events panel's height beside it): with
// less room than the layout's lines, the clamped excerpt would shrink and be
// cut through a line. `fitLines` lowers that card's clamp to the lines that
// fit (keeping the clamp's ellipsis), or hides the excerpt if none does, and
// does it again whenever the card or what is in it changes size. The clamp
// reads `--fit` (see Home.svelte); when the excerpt has room, it is left as
// the layout says and nothing is written.

/** Whole lines of `lineHeight` px in `room` px, at most `max`. */
export function linesThatFit(room: number, lineHeight: number, max: number): number {
  if (!(lineHeight > 0)) return max;
  return Math.max(0, Math.min(max, Math.floor((room + 0.5) / lineHeight)));
}

/**
 * Whether a clamped excerpt `height` px tall has been squeezed: shorter than
 * the layout's `max` lines, and either cut through a line or with text
 * running on below (`overflowing`). Then it shows part of a line, or whole
 * lines without the clamp's ellipsis, or nothing; one that shows fewer lines
 * only because its text is short is not.
 */
export function squeezed(height: number, lineHeight: number, max: number, overflowing: boolean): boolean {
  if (!(lineHeight > 0) || height >= max * lineHeight - 1) return false;
  const lines = height / lineHeight;
  return overflowing || Math.abs(lines - Math.round(lines)) > 0.05;
}

const maxLines = new WeakMap<HTMLElement, number>();
let observer: ResizeObserver | null = null;

function excerptOf(el: Element): HTMLElement | null {
  const card = el.closest(".card");
  const p = card?.querySelector<HTMLElement>(".excerpt");
  return p && maxLines.has(p) ? p : null;
}

function refit(p: HTMLElement): void {
  const card = p.closest<HTMLElement>(".card");
  if (!card) return;
  // Measured at the layout's clamp: what the card gives, not what an earlier fit took.
  if (p.style.getPropertyValue("--fit") || p.style.display) {
    p.style.removeProperty("--fit");
    p.style.removeProperty("display");
  }
  const box = p.getBoundingClientRect();
  const lineHeight = parseFloat(getComputedStyle(p).lineHeight);
  const max = maxLines.get(p) ?? 0;
  if (!squeezed(box.height, lineHeight, max, p.scrollHeight > p.clientHeight)) return;
  const c = getComputedStyle(card);
  const floor = card.getBoundingClientRect().bottom - parseFloat(c.paddingBottom) - parseFloat(c.borderBottomWidth);
  const lines = linesThatFit(floor - box.top, lineHeight, max);
  if (lines >= max) return;
  if (lines > 0) p.style.setProperty("--fit", String(lines));
  else p.style.display = "none";
}

function changed(entries: ResizeObserverEntry[]): void {
  const todo = new Set<HTMLElement>();
  for (const e of entries) {
    const p = excerptOf(e.target);
    if (p) todo.add(p);
  }
  for (const p of todo) refit(p);
}

/** Svelte action on a card's excerpt; `max`: the layout's lines. */
export function fitLines(p: HTMLElement, max: number) {
  maxLines.set(p, max);
  const card = p.closest(".card");
  const watched = card ? [card, ...card.children] : [p];
  observer ??= new ResizeObserver(changed);
  for (const el of watched) observer.observe(el);
  return {
    update(next: number) {
      maxLines.set(p, next);
      refit(p);
    },
    destroy() {
      for (const el of watched) observer?.unobserve(el);
      maxLines.delete(p);
    },
  };
}
