// Right-to-left languages (Arabic, Persian, Hebrew) mirror the whole layout
// through `dir="rtl"` on <html>, which only works when the CSS says "start"
// and "end" instead of "left" and "right". This scans every stylesheet and
// <style> block in ui/src and fails on a physical property or value, so one
// does not creep back.
//
// A physical use that is right in both directions (a time axis, a keypad, a
// value with no logical form such as `transform-origin`) is marked on its
// line or the line above with a comment: /* physical-ok: why */.
import { describe, expect, it } from "vitest";

const SOURCES: Record<string, string> = {
  ...import.meta.glob("./**/*.svelte", { query: "?raw", import: "default", eager: true }),
  ...import.meta.glob("./**/*.css", { query: "?raw", import: "default", eager: true }),
};

// Files this change may not edit (their owner converts them); each entry is
// the exact offending text. A stale entry fails too, so the list only shrinks.
const PENDING: Record<string, string[]> = {};

const PHYSICAL: [RegExp, string][] = [
  [/\b(margin|padding|border)-(left|right)\b/, "use margin/padding/border-inline-start or -end"],
  [/\bborder-(top|bottom)-(left|right)-radius\b/, "use border-start-start-radius and the like"],
  [/(^|[\s;{])(left|right)\s*:/, "use inset-inline-start or inset-inline-end"],
  [/\b(text-align|float|clear)\s*:\s*(left|right)\b/, "use start or end"],
  [/\binset\s*:\s*\S+\s+\S+\s+\S+\s+\S+/, "a four-value inset is physical: use inset-block and inset-inline"],
  [/\b(transform-origin|background-position(-x)?)\s*:[^;]*\b(left|right)\b/, "no logical form: flip it under [dir=\"rtl\"]"],
  [/\btranslateX\s*\(/, "a horizontal move: flip it under [dir=\"rtl\"]"],
  [/:dir\(/, "the build (target safari16) turns :dir() into :lang() lists: use [dir=\"rtl\"]"],
];

// `margin: 1rem 2rem 1rem 3rem` puts different space on the left and the right.
function asymmetricShorthand(code: string): boolean {
  const m = /\b(margin|padding)\s*:\s*([^;]+)/.exec(code);
  const values = m?.[2]?.trim().split(/\s+/) ?? [];
  return values.length === 4 && values[1] !== values[3];
}

/** The CSS of a file, as lines numbered like the file's, everything else blanked. */
function cssLines(path: string, text: string): string[] {
  if (path.endsWith(".css")) return text.split("\n");
  const lines = text.split("\n");
  let inStyle = false;
  return lines.map((line) => {
    if (/<style[\s>]/.test(line)) inStyle = true;
    const css = inStyle ? line : "";
    if (/<\/style>/.test(line)) inStyle = false;
    return css;
  });
}

// An arrow alone in an element whose class includes "arrow".
const ARROW_SPAN = /<(\w+) class="[^"]*\barrow\b[^"]*"[^>]*>[→←]<\/\1>/g;

/** The markup of a .svelte file (no <script>, <style> or comments), as lines numbered like the file's. */
function markupLines(text: string): string[] {
  const blank = (m: string) => m.replace(/[^\n]/g, " ");
  return text
    .replace(/<script[\s\S]*?<\/script>/g, blank)
    .replace(/<style[\s\S]*?<\/style>/g, blank)
    .replace(/<!--[\s\S]*?-->/g, blank)
    .split("\n");
}

/** Lines with `/* … *\/` comments blanked (they may span lines). */
function withoutComments(lines: string[]): string[] {
  let open = false;
  return lines.map((line) => {
    let out = "";
    for (let i = 0; i < line.length; i++) {
      if (!open && line.startsWith("/*", i)) {
        open = true;
        i++;
      } else if (open && line.startsWith("*/", i)) {
        open = false;
        i++;
      } else if (!open) out += line[i];
    }
    return out;
  });
}

function physicalUses(path: string, text: string): { line: number; text: string; why: string }[] {
  const raw = cssLines(path, text);
  const code = withoutComments(raw);
  const found: { line: number; text: string; why: string }[] = [];
  code.forEach((c, i) => {
    const marked = raw[i]?.includes("physical-ok") || raw[i - 1]?.includes("physical-ok");
    if (marked) return;
    const hit = PHYSICAL.find(([re]) => re.test(c));
    const why = hit?.[1] ?? (asymmetricShorthand(c) ? "use padding-block and padding-inline (or margin-)" : null);
    if (why) found.push({ line: i + 1, text: c.trim(), why });
  });
  return found;
}

describe("logical CSS, so right-to-left languages mirror", () => {
  it("finds the stylesheets", () => {
    expect(Object.keys(SOURCES), "the scan reads the components and app.css").toEqual(
      expect.arrayContaining(["./app.css", "./screens/Home.svelte", "./lib/Keyboard.svelte"]),
    );
  });

  it("no physical left/right in any stylesheet", () => {
    const problems = Object.entries(SOURCES).flatMap(([path, text]) =>
      physicalUses(path, text)
        .filter((p) => !PENDING[path]?.includes(p.text))
        .map((p) => `${path}:${p.line}: ${p.text} (${p.why})`),
    );
    expect(problems, "every left/right in CSS is logical, or marked physical-ok with a reason").toEqual([]);
  });

  it("the pending list names only what is still there", () => {
    for (const [path, texts] of Object.entries(PENDING)) {
      const present = physicalUses(path, SOURCES[path] ?? "").map((p) => p.text);
      for (const t of texts) expect(present, `${path} still has "${t}"; else drop it from PENDING`).toContain(t);
    }
  });

  it("every arrow in the markup is an .arrow, which app.css mirrors", () => {
    const bare = Object.entries(SOURCES)
      .filter(([path]) => path.endsWith(".svelte"))
      .flatMap(([path, text]) =>
        markupLines(text)
          .map((line, i) => ({ line: i + 1, text: line.replace(ARROW_SPAN, "") }))
          .filter((l) => /[→←]/.test(l.text))
          .map((l) => `${path}:${l.line}: ${l.text.trim()}`),
      );
    expect(bare, 'an arrow outside <span class="… arrow">→</span> points the wrong way in Arabic').toEqual([]);
    expect("<small>Listen →</small>".replace(ARROW_SPAN, ""), "a bare arrow is seen").toMatch(/→/);
  });

  it.each([
    ["a { margin-left: 1rem; }", 1],
    ["a { padding-inline-start: 1rem; }", 0],
    ["a { right: 0; }", 1],
    ["a { inset-inline-end: 0; }", 0],
    ["a { text-align: left; }", 1],
    ["a { text-align: start; }", 0],
    ["a { inset: 0 auto 0 0; }", 1],
    ["a { inset: 0; }", 0],
    ["a { padding: 3rem 9rem 3rem 4rem; }", 1],
    ["a { padding: 1rem 2rem 1rem 2rem; }", 0],
    ["a { transform-origin: left; }", 1],
    ["a { transform-origin: left; /* physical-ok: flipped below */ }", 0],
    ["a { border-left-color: red; }", 1],
    ["/* text-align: left */ a { color: red; }", 0],
    ["a { transform: translateX(1rem); }", 1],
    ["a:dir(rtl) { color: red; }", 1],
  ])("%s → %i finding(s)", (css, n) => {
    expect(physicalUses("x.css", css), "the scanner sees physical uses and nothing else").toHaveLength(n);
  });
});
