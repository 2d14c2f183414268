// The kiosk's IPC surface as the screens use it. Commands, events and types
// come from ./bindings.ts, generated from the Rust commands (src-tauri/src/ipc.rs)
// and checked on every test run: never edit it by hand, and never list a
// command here — only what the bindings cannot say (the first screen's data,
// the signup's consent fields, event payloads unwrapped).
// Errors arrive as {code, message}; screens branch on `code`, never on text.
import type { UnlistenFn } from "@tauri-apps/api/event";
import {
  commands,
  events,
  type Action,
  type EventView,
  type Found,
  type Home,
  type ImportProgress,
  type Overview,
  type Slide,
  type Statement,
  type Status,
  type UiError,
} from "./bindings";

export type {
  DayCount,
  ErrorCode,
  EventView,
  Home,
  LanguageChoice,
  ImportProgress,
  SectionSummary,
  SectionView,
  SignupCode,
  SignupError,
  Theme,
  TrackInfo,
  UiError,
} from "./bindings";

export type MusicStatus = Status;
export type ConsentStatement = Statement;
export type StaffOverview = Overview;
export type UsbBundle = Found;
/** What the attract schedule (Rust) tells the UI to do. */
export type AttractAction = Action;
export type AttractSlide = Slide;

export function isUiError(e: unknown): e is UiError {
  return typeof e === "object" && e !== null && "code" in e && "message" in e;
}

/** The first screen's data (home and upcoming events, default language),
 * which the shell puts in the page before any script runs, so the first
 * screen needs no IPC round trip. Taken once; `null` if the shell had none. */
export function takeFirstScreen(): { home: Home; events: EventView[] } | null {
  const w = window as { __KIOSK_FIRST__?: { home: Home; events: EventView[] } };
  const first = w.__KIOSK_FIRST__ ?? null;
  delete w.__KIOSK_FIRST__;
  return first;
}

export const api = {
  ...commands,
  musicSkip: (step: 1 | -1) => commands.musicSkip(step),
  /** One answer for every address taken, listed before or not. */
  signupSubmit: (email: string, name: string, consent: boolean, shown: ConsentStatement) =>
    commands.signupSubmit(email, name, consent, shown.lang, shown.version, shown.sha256),
  onStaffImport: (handler: (p: ImportProgress) => void): Promise<UnlistenFn> =>
    events.staffImport.listen((e) => handler(e.payload)),
  onMusic: (handler: (s: MusicStatus) => void): Promise<UnlistenFn> => events.music.listen((e) => handler(e.payload)),
  onAttract: (handler: (a: AttractAction) => void): Promise<UnlistenFn> =>
    events.attract.listen((e) => handler(e.payload)),
  /** A new content bundle was switched in (its version): reload what is shown. */
  onContent: (handler: (version: number) => void): Promise<UnlistenFn> =>
    events.content.listen((e) => handler(e.payload)),
};
