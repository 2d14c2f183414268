// Stands in for Tauri inside the studio's preview frame (see studio-api): the
// kiosk's own UI runs unchanged against the drafts' bundle. Content commands go
// to the studio's server (POST /preview/ipc); visitor-side effects (touch,
// signups, music) are played out here, so nothing a tester does in the preview
// is stored; staff commands are refused. The dispatch is a factory over
// fetch, a clock and the frame's surroundings so it can be tested in node.
//
// The table below is checked against the kiosk's generated `commands`: a new
// kiosk command fails `npm run check` until the preview says what it does.
import { keyHeader } from "./session";
import type {
  AccessLayout,
  Action,
  EventView,
  Home,
  SignupOutcome,
  Slide,
  TrackInfo,
  commands as KioskCommands,
} from "../src/lib/bindings";
import { createEvents } from "./preview-events";
import { createPlayer, type AudioLike } from "./preview-music";

export type { AudioLike } from "./preview-music";
export type { Handler } from "./preview-events";

type Commands = typeof KioskCommands;

/** `upcomingEvents` → `upcoming_events`: the name the kiosk invokes. */
type Snake<S extends string> = S extends `${infer H}${infer T}`
  ? `${H extends Lowercase<H> ? H : `_${Lowercase<H>}`}${Snake<T>}`
  : S;

/** What a command resolves to (Tauri sends null for `()`). */
type Answer<K extends keyof Commands> = Awaited<ReturnType<Commands[K]>> extends void ? null : Awaited<ReturnType<Commands[K]>>;

type Args = Record<string, unknown>;

type Table = { [K in keyof Commands as Snake<K>]: (args: Args) => Promise<Answer<K>> };

/** Errors reach the kiosk as its own `{code, message}`. */
export type IpcError = { code: string; message: string };

export type PreviewDeps = {
  fetch: typeof fetch;
  /** Milliseconds, for throttling the music's progress events. */
  now: () => number;
  /** Calls `fn` every `ms` until the returned function is called. */
  every: (ms: number, fn: () => void) => () => void;
  /** Runs `fn` after the next paint (requestAnimationFrame). */
  nextFrame: (fn: () => void) => void;
  /** The frame's `?lang=`: the language a command with `lang: null` asks for. */
  lang: string | null;
  /** To the studio page (parent.postMessage, same origin). */
  post: (message: unknown) => void;
  audio: () => AudioLike;
};

const STAFF_REFUSED: IpcError = { code: "staff_not_configured", message: "The staff panel is not part of the preview." };

function refuseStaff(): Promise<never> {
  return Promise.reject({ ...STAFF_REFUSED });
}

/** Speech is synthesised by the kiosk itself (espeak-ng, in Rust): the preview has none. */
function noSpeech(): Promise<never> {
  return Promise.reject({ code: "speech_unavailable", message: "the preview does not speak; the kiosk does" });
}

/** The preview knows no physical screen: large text is the plain ×1.35, and reach mode has no band to move into. */
const PREVIEW_LAYOUT: AccessLayout = {
  speech: false,
  band_top: 0,
  band_bottom: 1,
  px_per_mm: 0,
  large_min_px: 0,
  diagonal_in: 0,
  hint_secs: 0,
};

export type Preview = ReturnType<typeof createPreview>;

export function createPreview(deps: PreviewDeps) {
  const events = createEvents();
  let lastHome: Home | null = null;
  let waitingShown: number | null = null;
  let stopAttract: (() => void) | null = null;

  /** Content commands: the studio's server answers from the drafts' bundle. */
  async function serve<T>(cmd: string, args: Args): Promise<T> {
    const filled = "lang" in args && args.lang == null ? { ...args, lang: deps.lang } : args;
    let res: Response;
    try {
      res = await deps.fetch("/preview/ipc", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ cmd, args: filled }),
      });
    } catch (e) {
      throw { code: "io", message: `The studio did not answer: ${String(e)}` } satisfies IpcError;
    }
    const body: unknown = await res.json().catch(() => null);
    if (!res.ok) {
      const err = body as Partial<IpcError> | null;
      throw { code: err?.code ?? "io", message: err?.message ?? `The studio answered ${res.status}` } satisfies IpcError;
    }
    return body as T;
  }

  const player = createPlayer(
    deps,
    (s) => events.emit("music", s),
    () => serve<TrackInfo[]>("music_tracks", { lang: null }),
  );

  function attract(action: Action): void {
    events.emit("attract", action);
  }

  function endAttract(): boolean {
    if (!stopAttract) return false;
    stopAttract();
    stopAttract = null;
    attract({ action: "show_home" });
    // A touch in the frame ends it too: the studio's button follows.
    deps.post({ type: "attract-stopped" });
    return true;
  }

  /** The server's own schedule if it offers one (studio-api mentions `attract_slides`), else the
   *  kiosk's order: each section, then each upcoming event. */
  async function attractSlides(home: Home): Promise<Slide[]> {
    try {
      const slides = await serve<unknown>("attract_slides", { lang: null });
      if (!Array.isArray(slides)) throw new Error("not a slide list");
      return slides as Slide[];
    } catch {
      const upcoming = await serve<EventView[]>("upcoming_events", { lang: null }).catch(() => [] as EventView[]);
      return [
        ...home.sections.map((s): Slide => ({ kind: "section", id: s.id })),
        ...upcoming.map((e): Slide => ({ kind: "event", id: e.id })),
      ];
    }
  }

  async function startAttract(): Promise<void> {
    stopAttract?.();
    let cancelled = false;
    stopAttract = () => {
      cancelled = true;
    };
    attract({ action: "reset_visitor" });
    const home = lastHome ?? (await serve<Home>("home", { lang: null }));
    const slides = await attractSlides(home);
    if (cancelled) return;
    let at = 0;
    const next = () => {
      attract({ action: "show_slide", slide: slides.length ? (slides[at++ % slides.length] ?? null) : null });
    };
    next();
    stopAttract = deps.every(Math.max(1, home.attract_slide_secs) * 1000, next);
  }

  const local = async (): Promise<null> => null;

  const table = {
    home: async (args) => {
      // Only a call made after the new content was announced shows it: the
      // kiosk also fetches the other languages' home screens in the
      // background, and one of those still in flight holds the old content.
      const version = waitingShown;
      const home = await serve<Home>("home", args);
      lastHome = home;
      if (version !== null && waitingShown === version) {
        waitingShown = null;
        deps.nextFrame(() => deps.post({ type: "shown", version }));
      }
      return home;
    },
    section: (args) => serve("section", args),
    upcoming_events: (args) => serve("upcoming_events", args),
    music_tracks: async (args) => {
      const tracks = await serve<TrackInfo[]>("music_tracks", args);
      player.remember(tracks);
      return tracks;
    },
    signup_consent: (args) => serve("signup_consent", args),
    content_painted: local,
    touch: async () => {
      endAttract();
      return null;
    },
    ui_rendered: local,
    page_relaunched: local,
    section_viewed: local,
    signup_submit: async () => {
      deps.post({ type: "signup" });
      return "added" satisfies SignupOutcome;
    },
    music_toggle: (args) => player.toggle(String(args.id)),
    music_status: () => player.status(),
    music_stop: () => player.stop(),
    music_volume: (args) => player.volume(typeof args.volume === "number" ? args.volume : null),
    music_skip: (args) => player.skip(typeof args.step === "number" ? args.step : 1),
    staff_unlock: refuseStaff,
    staff_overview: refuseStaff,
    staff_sync_now: refuseStaff,
    staff_usb_scan: refuseStaff,
    staff_usb_import: refuseStaff,
    staff_rollback: refuseStaff,
    staff_set_audio: refuseStaff,
    staff_test_sound: refuseStaff,
    staff_close: refuseStaff,
    staff_exit: refuseStaff,
    speech_say: noSpeech,
    speech_spell: noSpeech,
    speech_tone: noSpeech,
    speech_pause: noSpeech,
    speech_volume: noSpeech,
    access_assist: local,
    access_layout: async () => PREVIEW_LAYOUT,
  } satisfies Table;

  const commandTable: Record<string, (args: Args) => Promise<unknown>> = table;

  /** What `@tauri-apps/api/core`'s `invoke` calls. */
  async function invoke(cmd: string, args: Args = {}): Promise<unknown> {
    switch (cmd) {
      case "plugin:event|listen":
        return events.listen(String(args.event), Number(args.handler));
      case "plugin:event|unlisten":
        events.unlisten(String(args.event), Number(args.eventId));
        return null;
      case "plugin:event|emit":
      case "plugin:event|emit_to":
        events.emit(String(args.event), args.payload);
        return null;
    }
    const handler = Object.hasOwn(commandTable, cmd) ? commandTable[cmd] : undefined;
    if (!handler) {
      throw { code: "unknown_command", message: `The preview does not know the command "${cmd}".` } satisfies IpcError;
    }
    return handler(args);
  }

  /** A message from the studio page (its origin already checked). */
  function onMessage(data: unknown): void {
    const msg = data as { type?: unknown; version?: unknown } | null;
    if (msg?.type === "content" && typeof msg.version === "number") {
      waitingShown = msg.version;
      events.emit("content", msg.version);
    } else if (msg?.type === "attract") {
      void startAttract().catch(() => endAttract());
    } else if (msg?.type === "attract-stop") {
      endAttract();
    }
  }

  return {
    invoke,
    transformCallback: events.transformCallback,
    unregisterCallback: events.unregisterCallback,
    unregisterListener: events.unlisten,
    emit: events.emit.bind(events),
    onMessage,
  };
}

/** Installs the preview in the frame before the kiosk's own script runs. */
function install(): void {
  const origin = location.origin;
  const preview = createPreview({
    fetch: (input, init) =>
      fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string> | undefined), ...keyHeader() } }),
    now: () => performance.now(),
    every: (ms, fn) => {
      const id = setInterval(fn, ms);
      return () => clearInterval(id);
    },
    nextFrame: (fn) => requestAnimationFrame(() => fn()),
    lang: new URLSearchParams(location.search).get("lang"),
    post: (message) => parent.postMessage(message, origin),
    audio: () => new Audio(),
  });
  const w = window as unknown as Record<string, unknown>;
  w.__TAURI_INTERNALS__ = {
    invoke: preview.invoke,
    transformCallback: preview.transformCallback,
    unregisterCallback: preview.unregisterCallback,
    convertFileSrc: (path: string) => path,
    metadata: { currentWindow: { label: "main" }, currentWebview: { windowLabel: "main", label: "main" } },
  };
  w.__TAURI_EVENT_PLUGIN_INTERNALS__ = { unregisterListener: preview.unregisterListener };
  window.addEventListener("message", (e) => {
    if (e.origin === origin) preview.onMessage(e.data);
  });
}

if (typeof window !== "undefined") install();
