// How the home screen lays out the topics a bundle has, from one to a dozen
// and more, on a landscape or a portrait lobby screen, beside the events panel
// or across the whole width when there are no upcoming events. One topic is
// a featured card that fills the space; a dozen are small cards that all fit,
// each still a large touch target; past that the list scrolls. Kept pure, so
// every count can be checked without a window; Home.svelte applies the answer
// as CSS custom properties; CARD_AREAS says how much room the styles give.

export type Orientation = "landscape" | "portrait";

/** How each card is drawn: one featured topic, a few large cards, medium ones, or many small ones. */
export type Density = "feature" | "large" | "medium" | "small";

export interface CardLayout {
  /** Cards side by side. */
  columns: number;
  density: Density;
  /** Lines of each card's excerpt (0: the title only). */
  excerptLines: number;
  /** The smallest a row of cards may get (rem) before the list scrolls instead. */
  minRowRem: number;
}

/** A row is never less than this (rem): a card stays a large touch target (64 px is 3.2 rem). */
export const MIN_ROW_REM = 6;

function layout(columns: number, density: Density, excerptLines: number): CardLayout {
  const minRowRem = { feature: 16, large: 10, medium: 8, small: MIN_ROW_REM }[density];
  return { columns, density, excerptLines, minRowRem };
}

/** Where the cards go (rem, at any resolution: the root size follows the screen, see app.css),
 * as Home.svelte's styles make it: width × the height below the heading, and the gap between cards. */
export const CARD_AREAS = {
  /** Landscape, beside the events panel. */
  side: { width: 58, height: 33, gap: 1.5 },
  /** Landscape, no events panel: the whole width. */
  wide: { width: 91, height: 33, gap: 1.5 },
  /** Portrait, above the events panel (without it the cards get more height). */
  portrait: { width: 50, height: 42, gap: 1 },
} as const;

/**
 * The layout for `count` cards on a screen in `orientation`; `wide` is whether
 * the cards have the screen's whole width (landscape with no events panel).
 */
export function cardLayout(count: number, orientation: Orientation, wide: boolean): CardLayout {
  const n = Math.max(1, Math.floor(count));
  if (n === 1) return layout(1, "feature", 8);
  if (orientation === "portrait") {
    if (n === 2) return layout(1, "large", 4);
    if (n === 3) return layout(1, "large", 3);
    if (n === 4) return layout(2, "medium", 3);
    if (n <= 6) return layout(2, "medium", 2);
    return layout(2, "small", 0);
  }
  if (wide) {
    if (n <= 4) return layout(n, "large", n === 4 ? 6 : 8);
    if (n <= 6) return layout(3, "medium", 3);
    if (n <= 8) return layout(4, "medium", 2);
    return layout(4, "small", 0);
  }
  if (n === 2) return layout(2, "large", 8);
  if (n === 3) return layout(3, "large", 7);
  if (n === 4) return layout(2, "medium", 3);
  if (n <= 6) return layout(3, "medium", 2);
  return layout(3, "small", 0);
}

/** The room the cards have on a screen in `orientation` (see `cardLayout` for `wide`). */
export function cardArea(orientation: Orientation, wide: boolean): (typeof CARD_AREAS)[keyof typeof CARD_AREAS] {
  return orientation === "portrait" ? CARD_AREAS.portrait : wide ? CARD_AREAS.wide : CARD_AREAS.side;
}

/** Upcoming events the home screen's panel lists at most (the panel shows those that fit; "All events" has the rest). */
export const HOME_EVENTS = 3;
