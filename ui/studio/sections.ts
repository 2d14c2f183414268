// The sections page's pure logic: new ids, order, and which languages still
// lack a title or text.
import type { SectionDoc } from "./types";
import { slug, uniqueId } from "./ids";

export function newSection(title: string, defaultLanguage: string, taken: string[]): SectionDoc {
  return {
    file: null,
    id: uniqueId(slug(title, "section"), taken),
    title: { [defaultLanguage]: title.trim() },
    body: {},
  };
}

/** `list` with item `index` moved by `delta` places (a new array; out-of-range moves change nothing). */
export function move<T>(list: T[], index: number, delta: number): T[] {
  const to = index + delta;
  if (index < 0 || index >= list.length || to < 0 || to >= list.length) return list;
  const out = [...list];
  const [item] = out.splice(index, 1) as [T];
  out.splice(to, 0, item);
  return out;
}

/** Languages where the title or the text is still empty (the default language first, as `languages` orders them). */
export function missingLanguages(s: SectionDoc, languages: string[]): string[] {
  return languages.filter((l) => !(s.title[l] ?? "").trim() || !(s.body[l] ?? "").trim());
}
