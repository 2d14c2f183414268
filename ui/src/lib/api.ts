// The kiosk's IPC surface: one typed function per Rust command.
// Errors arrive as {code, message}; screens branch on `code`, never on text.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";

export interface Theme {
  primary: string;
  accent: string;
  background: string;
  text: string;
}

export interface SectionSummary {
  id: string;
  title: string;
  excerpt: string;
  lang: string;
}

export interface Home {
  bundle: { bundle_version: number; channel: string; build_time: string };
  lang: string;
  default_language: string;
  languages: string[];
  timezone: string;
  idle_timeout_secs: number;
  attract_slide_secs: number;
  theme: Theme;
  sections: SectionSummary[];
}

export interface SectionView {
  id: string;
  title: string;
  html: string;
  lang: string;
}

export interface EventView {
  id: string;
  title: string;
  location: string | null;
  description_html: string | null;
  start: string;
  end: string;
  month: string;
  timezone: string;
}

export interface AttractSlide {
  kind: "section" | "event";
  id: string;
}

/** What the attract schedule (Rust) tells the UI to do. */
export type AttractAction =
  | { action: "reset_visitor" }
  | { action: "show_slide"; slide: AttractSlide | null }
  | { action: "show_home" };

export interface TrackInfo {
  id: string;
  title: string;
  credit: string;
  duration_ms: number;
  mime: string;
}

export interface MusicStatus {
  state: "playing" | "paused" | "stopped";
  track: string | null;
  position_ms: number;
  duration_ms: number;
  volume: number;
  quiet: boolean;
  audio_available: boolean;
}

export interface UiError {
  code: string;
  message: string;
}

/** A refused signup: which field, and a code the UI translates. */
export interface SignupError {
  code: string;
  field: "email" | "name" | "consent" | "form";
  message: string;
}

/** The consent statement as shown: the submit sends back its language, version and hash. */
export interface ConsentStatement {
  lang: string;
  version: number;
  text: string;
  sha256: string;
}

export interface DayCount {
  day: string;
  count: number;
}

/** What the staff panel shows (see src-tauri/src/staff.rs). */
export interface StaffOverview {
  kiosk_id: string;
  bundle: {
    version: number;
    channel: string;
    build_time: string;
    source: string;
    installed_utc: string | null;
    previous_version: number | null;
    sections: number;
    upcoming_events: number;
    tracks: number;
    updates_configured: boolean;
    rejections: string[];
  };
  signups: {
    pending: number;
    review: number;
    delivered_total: number;
    signups_today: number;
    delivered_today: number;
    last_sync: { attempt_utc: string; ok: boolean; message: string; last_ok_utc: string | null } | null;
    sync_configured: boolean;
    capacity: number;
    full: boolean;
  };
  audio: { volume_ceiling: number; quiet: boolean; device_available: boolean };
  signups_daily: DayCount[];
  views_daily: DayCount[];
  top_sections: [string, number][];
  idle_close_secs: number;
  /** Damaged files the kiosk worked around since it started: staff must look. */
  problems: string[];
}

export interface UsbBundle {
  path: string;
  name: string;
  size: number;
  signed: boolean;
}

export interface ImportProgress {
  phase: "copying" | "checked";
  done: number;
  total: number;
}

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
  home: (lang: string | null) => invoke<Home>("home", { lang }),
  section: (id: string, lang: string | null) => invoke<SectionView>("section", { id, lang }),
  upcomingEvents: (lang: string | null) => invoke<EventView[]>("upcoming_events", { lang }),
  /** What is on screen, every few seconds: the shell's heartbeat vouches for the UI only while these arrive. */
  uiRendered: (screen: string, items: number, lang: string): Promise<void> =>
    invoke("ui_rendered", { screen, items, lang }),
  contentPainted: (marks: Record<string, number>) => invoke<void>("content_painted", { marks }),
  touch: () => invoke<void>("touch"),
  musicTracks: (lang: string | null) => invoke<TrackInfo[]>("music_tracks", { lang }),
  musicToggle: (id: string) => invoke<MusicStatus>("music_toggle", { id }),
  musicStatus: () => invoke<MusicStatus>("music_status"),
  musicVolume: (volume: number) => invoke<MusicStatus>("music_volume", { volume }),
  musicSkip: (step: 1 | -1) => invoke<MusicStatus>("music_skip", { step }),
  signupConsent: (lang: string | null) => invoke<ConsentStatement>("signup_consent", { lang }),
  /** One answer for every address taken, listed before or not. */
  signupSubmit: (email: string, name: string, consent: boolean, shown: ConsentStatement) =>
    invoke<"added">("signup_submit", {
      email,
      name,
      consent,
      consentLang: shown.lang,
      consentVersion: shown.version,
      consentSha256: shown.sha256,
    }),
  sectionViewed: (id: string) => invoke<void>("section_viewed", { id }),
  staffUnlock: (pin: string) => invoke<number>("staff_unlock", { pin }),
  staffOverview: () => invoke<StaffOverview>("staff_overview"),
  staffSyncNow: () => invoke<void>("staff_sync_now"),
  staffUsbScan: () => invoke<UsbBundle[]>("staff_usb_scan"),
  staffUsbImport: (path: string) => invoke<number>("staff_usb_import", { path }),
  staffRollback: () => invoke<number>("staff_rollback"),
  staffSetAudio: (volumeCeiling: number, quiet: boolean) =>
    invoke<{ volume_ceiling: number; quiet: boolean }>("staff_set_audio", { volumeCeiling, quiet }),
  staffTestSound: () => invoke<void>("staff_test_sound"),
  staffClose: () => invoke<void>("staff_close"),
  staffExit: () => invoke<void>("staff_exit"),
  onStaffImport: (handler: (p: ImportProgress) => void): Promise<UnlistenFn> =>
    listen<ImportProgress>("staff-import", (e) => handler(e.payload)),
  onMusic: (handler: (s: MusicStatus) => void): Promise<UnlistenFn> =>
    listen<MusicStatus>("music", (e) => handler(e.payload)),
  onAttract: (handler: (a: AttractAction) => void): Promise<UnlistenFn> =>
    listen<AttractAction>("attract", (e) => handler(e.payload)),
  /** A new content bundle was switched in (its version): reload what is shown. */
  onContent: (handler: (version: number) => void): Promise<UnlistenFn> =>
    listen<number>("content", (e) => handler(e.payload)),
};
