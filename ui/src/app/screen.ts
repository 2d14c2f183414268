// Which screen the visitor is on. Attract mode, staff mode and a failure are
// drawn over it and kept apart (see App.svelte), so the visitor's place
// survives them until the attract schedule says the visit is over.
export type Screen =
  | { name: "home" }
  | { name: "section"; id: string }
  | { name: "events" }
  | { name: "music" }
  | { name: "signup" };
