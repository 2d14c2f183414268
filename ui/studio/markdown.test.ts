import { describe, expect, it } from "vitest";
import { bold, bulletList, heading, italic, numberedList, type Edit } from "./markdown";

/** Runs a transform on text where [ and ] mark the selection; returns the result marked the same way. */
function run(f: (t: string, s: number, e: number) => Edit, marked: string): string {
  const s = marked.indexOf("[");
  const e = marked.indexOf("]") - 1;
  const text = marked.replace("[", "").replace("]", "");
  const r = f(text, s, e);
  return r.text.slice(0, r.selStart) + "[" + r.text.slice(r.selStart, r.selEnd) + "]" + r.text.slice(r.selEnd);
}

describe("bold and italic", () => {
  it("wrap the selection and keep it selected", () => {
    expect(run(bold, "a [word] here")).toBe("a **[word]** here");
    expect(run(italic, "a [word] here")).toBe("a *[word]* here");
  });

  it("leave spaces at the selection's edges outside the stars", () => {
    expect(run(bold, "a[ word ]here"), "'** word **' would not render bold").toBe("a **[word]** here");
  });

  it("toggle off when the selection is already bold or italic", () => {
    expect(run(bold, "a **[word]** here")).toBe("a [word] here");
    expect(run(bold, "a [**word**] here"), "selected with its stars").toBe("a [word] here");
    expect(run(italic, "a *[word]* here")).toBe("a [word] here");
  });

  it("tell bold from italic", () => {
    expect(run(italic, "a **[word]** here"), "italic on bold text adds italic").toBe("a ***[word]*** here");
    expect(run(italic, "a ***[word]*** here"), "and takes it off again").toBe("a **[word]** here");
    expect(run(bold, "a *[word]* here"), "bold on italic text adds bold").toBe("a ***[word]*** here");
  });

  it("insert a selected placeholder when nothing is selected", () => {
    expect(run(bold, "a []")).toBe("a **[bold text]**");
  });
});

describe("line formats", () => {
  it("bullet every non-empty selected line, and take the bullets off again", () => {
    expect(run(bulletList, "intro\n[one\n\ntw]o\nafter")).toBe("intro\n[- one\n\n- two]\nafter");
    expect(run(bulletList, "[- one\n- two]")).toBe("[one\ntwo]");
  });

  it("number the lines in order, and turn bullets into numbers", () => {
    expect(run(numberedList, "[one\ntwo\nthree]")).toBe("[1. one\n2. two\n3. three]");
    expect(run(numberedList, "[- one\n- two]")).toBe("[1. one\n2. two]");
    expect(run(bulletList, "[1. one\n2. two]")).toBe("[- one\n- two]");
    expect(run(numberedList, "[1. one\n2. two]")).toBe("[one\ntwo]");
  });

  it("make the cursor's line a heading, or plain text again", () => {
    expect(run(heading, "first\nsec[]ond\nthird")).toBe("first\n[# second]\nthird");
    expect(run(heading, "[## second]")).toBe("[second]");
  });

  it("a selection ending just after a newline does not take in the next line", () => {
    expect(run(bulletList, "[one\n]two")).toBe("[- one]\ntwo");
  });
});
