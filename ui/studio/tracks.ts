// Naming a newly uploaded track: its id must be stable, unique and safe in a
// file name and a URL (the kiosk and its statistics refer to tracks by id).

/** `Mozart – Eine kleine Nachtmusik.ogg` → `mozart-eine-kleine-nachtmusik`. */
export function slug(name: string): string {
  return name
    .replace(/\.[^.]*$/, "")
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

/** A track id from the file name, not yet used by any of `taken` (`-2`, `-3`, … when it is). */
export function trackId(fileName: string, taken: readonly string[]): string {
  const base = slug(fileName) || "track";
  let id = base;
  for (let n = 2; taken.includes(id); n++) id = `${base}-${n}`;
  return id;
}

/** The title a new track starts with: the file name without its extension. */
export function titleFromFile(fileName: string): string {
  return fileName.replace(/\.[^.]*$/, "").trim() || fileName;
}
