// Ids for new sections and events, in the form the content files accept:
// lower-case ASCII letters, digits and dashes, at most 64 characters.

export const MAX_ID = 64;

/** A lower-case ASCII slug of `text` ("Visa & Passports" → "visa-passports"); `fallback` if nothing is left. */
export function slug(text: string, fallback: string): string {
  const s = text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, MAX_ID - 4)
    .replace(/-+$/, "");
  return s === "" ? fallback : s;
}

/** `base`, or `base-2`, `base-3`, … whichever is not taken yet. */
export function uniqueId(base: string, taken: Iterable<string>): string {
  const used = new Set(taken);
  if (!used.has(base)) return base;
  for (let n = 2; ; n++) {
    const id = `${base}-${n}`;
    if (!used.has(id)) return id;
  }
}
