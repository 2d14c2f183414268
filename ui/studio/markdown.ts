// The Markdown toolbar's text transforms: pure functions of (text, selection)
// so they are tested without a browser. Each toggles: applied to text that
// already has the format, it takes the format away. No links: the kiosk has
// nowhere to go.

export type Edit = { text: string; selStart: number; selEnd: number };

function starsBefore(text: string, at: number): number {
  let n = 0;
  while (at - n - 1 >= 0 && text[at - n - 1] === "*") n++;
  return n;
}

function starsAfter(text: string, at: number): number {
  let n = 0;
  while (text[at + n] === "*") n++;
  return n;
}

/** Wraps the selection in `marker` stars (2: bold, 1: italic), or unwraps it when it already has them. */
function toggleStars(text: string, selStart: number, selEnd: number, marker: 1 | 2, placeholder: string): Edit {
  let s = selStart;
  let e = selEnd;
  // "**word **" is not bold in Markdown: leave surrounding spaces outside.
  while (s < e && /\s/.test(text[s] ?? "")) s++;
  while (e > s && /\s/.test(text[e - 1] ?? "")) e--;
  // A selection that includes its own stars ("**word**" selected whole).
  const inner = text.slice(s, e);
  const lead = starsAfter(inner, 0);
  const trail = starsBefore(inner, inner.length);
  if (inner.length > 2 * marker && has(lead, marker) && has(trail, marker)) {
    const body = inner.slice(marker, inner.length - marker);
    return { text: text.slice(0, s) + body + text.slice(e), selStart: s, selEnd: s + body.length };
  }
  const before = starsBefore(text, s);
  const after = starsAfter(text, e);
  if (s < e && has(before, marker) && has(after, marker)) {
    return {
      text: text.slice(0, s - marker) + text.slice(s, e) + text.slice(e + marker),
      selStart: s - marker,
      selEnd: e - marker,
    };
  }
  const body = s < e ? text.slice(s, e) : placeholder;
  const stars = "*".repeat(marker);
  return {
    text: text.slice(0, s) + stars + body + stars + text.slice(e),
    selStart: s + marker,
    selEnd: s + marker + body.length,
  };
}

/** Whether a run of `n` stars carries the format: bold needs ≥ 2, italic an odd count (`*` or `***`). */
function has(n: number, marker: 1 | 2): boolean {
  return marker === 2 ? n >= 2 : n % 2 === 1;
}

export function bold(text: string, selStart: number, selEnd: number): Edit {
  return toggleStars(text, selStart, selEnd, 2, "bold text");
}

export function italic(text: string, selStart: number, selEnd: number): Edit {
  return toggleStars(text, selStart, selEnd, 1, "italic text");
}

/** The selected lines (whole lines) as [start, end) of the text. */
function lineRange(text: string, selStart: number, selEnd: number): [number, number] {
  const start = text.lastIndexOf("\n", selStart - 1) + 1;
  // A selection ending right after a newline does not take in the next line.
  const last = selEnd > selStart && text[selEnd - 1] === "\n" ? selEnd - 1 : selEnd;
  const nl = text.indexOf("\n", last);
  return [start, nl === -1 ? text.length : nl];
}

/**
 * Adds a prefix to every non-empty selected line, or removes it when all of them have one.
 * An existing prefix matching `replaces` gives way (a bullet becomes a number).
 */
function toggleLines(
  text: string,
  selStart: number,
  selEnd: number,
  present: RegExp,
  prefix: (i: number) => string,
  replaces: RegExp = present,
): Edit {
  const [start, end] = lineRange(text, selStart, selEnd);
  const lines = text.slice(start, end).split("\n");
  const filled = lines.filter((l) => l.trim() !== "");
  const remove = filled.length > 0 && filled.every((l) => present.test(l));
  let n = 0;
  const out = lines
    .map((l) => {
      if (remove) return l.replace(present, "");
      if (l.trim() === "" && lines.length > 1) return l;
      return prefix(n++) + l.replace(replaces, "");
    })
    .join("\n");
  return { text: text.slice(0, start) + out + text.slice(end), selStart: start, selEnd: start + out.length };
}

const LIST = /^(- |\d+\. )/;

export function bulletList(text: string, selStart: number, selEnd: number): Edit {
  return toggleLines(text, selStart, selEnd, /^- /, () => "- ", LIST);
}

export function numberedList(text: string, selStart: number, selEnd: number): Edit {
  return toggleLines(text, selStart, selEnd, /^\d+\. /, (i) => `${i + 1}. `, LIST);
}

/** A heading line (`# `, shown one level below the page's title). */
export function heading(text: string, selStart: number, selEnd: number): Edit {
  return toggleLines(text, selStart, selEnd, /^#{1,6} /, () => "# ");
}
