// Stands in for Tauri inside the studio's preview frame (see studio-api): the
// kiosk's own UI runs unchanged against the drafts' bundle. Content commands go
// to the studio's server (POST /preview/ipc); visitor-side effects (touch,
// signups, music) are played out here, so nothing a tester does in the preview
// is stored; staff commands are refused. The dispatch is a factory over
// fetch, a clock and the frame's surroundings so it can be tested in node.
//
// The table below is checked against the kiosk's generated `commands`: a new
// kiosk command fails `npm run check` until the preview says what it does.
import type {
  Action,
  EventView,
  Home,
  SignupOutcome,
  Slide,
  Status,
  TrackInfo,
  commands as KioskCommands,
} from "../src/lib/bindings";

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

/** The parts of an `<audio>` element the preview's player uses. */
export type AudioLike = {
  src: string;
  currentTime: number;
  readonly duration: number;
  readonly paused: boolean;
  volume: number;
  play(): Promise<void>;
  pause(): void;
  addEventListener(type: "play" | "pause" | "ended" | "timeupdate", fn: () => void): void;
};

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

export type Handler = (event: { event: string; id: number; payload: unknown }) => void;

const STAFF_REFUSED: IpcError = { code: "staff_not_configured", message: "The staff panel is not part of the preview." };

function refuseStaff(): Promise<never> {
  return Promise.reject({ ...STAFF_REFUSED });
}

/** The event plugin's side: listeners per event name, called by `emit`. */
function createEvents() {
  const callbacks = new Map<number, { fn: Handler; once: boolean }>();
  const listeners = new Map<string, Map<number, number>>();
  let nextId = 1;

  return {
    transformCallback(fn: Handler, once = false): number {
      const id = nextId++;
      callbacks.set(id, { fn, once });
      return id;
    },
    unregisterCallback(id: number): void {
      callbacks.delete(id);
    },
    listen(event: string, handler: number): number {
      const id = nextId++;
      if (!listeners.has(event)) listeners.set(event, new Map());
      listeners.get(event)?.set(id, handler);
      return id;
    },
    unlisten(event: string, id: number): void {
      const handler = listeners.get(event)?.get(id);
      listeners.get(event)?.delete(id);
      if (handler !== undefined) callbacks.delete(handler);
    },
    emit(event: string, payload: unknown): void {
      for (const [id, handler] of [...(listeners.get(event) ?? [])]) {
        const cb = callbacks.get(handler);
        if (!cb) continue;
        if (cb.once) this.unlisten(event, id);
        cb.fn({ event, id, payload });
      }
    },
  };
}

/** One `<audio>` element standing in for the kiosk's player. */
function createPlayer(deps: PreviewDeps, emit: (status: Status) => void, tracks: () => Promise<TrackInfo[]>) {
  let audio: AudioLike | null = null;
  let track: string | null = null;
  let volume: number | null = null;
  let lastProgress = 0;
  let known: TrackInfo[] = [];

  function status(): Status {
    const info = known.find((t) => t.id === track);
    const playing = track !== null && audio !== null && !audio.paused;
    const duration = audio && Number.isFinite(audio.duration) ? audio.duration * 1000 : (info?.duration_ms ?? 0);
    return {
      state: track === null ? "stopped" : playing ? "playing" : "paused",
      track,
      position_ms: track !== null && audio ? Math.round(audio.currentTime * 1000) : 0,
      duration_ms: Math.round(duration),
      volume,
      quiet: false,
      audio_available: true,
    };
  }

  function element(): AudioLike {
    if (audio) return audio;
    const a = deps.audio();
    a.volume = volume ?? 1;
    a.addEventListener("play", () => emit(status()));
    a.addEventListener("pause", () => emit(status()));
    a.addEventListener("ended", () => {
      track = null;
      emit(status());
    });
    a.addEventListener("timeupdate", () => {
      if (deps.now() - lastProgress < 1000) return;
      lastProgress = deps.now();
      emit(status());
    });
    audio = a;
    return a;
  }

  async function start(a: AudioLike): Promise<void> {
    // A refused autoplay leaves the track loaded and paused.
    await a.play().catch(() => undefined);
  }

  async function toggle(id: string): Promise<Status> {
    const a = element();
    if (id === track) {
      if (a.paused) await start(a);
      else a.pause();
      return status();
    }
    track = id;
    a.src = `/preview/audio/${encodeURIComponent(id)}`;
    await start(a);
    return status();
  }

  return {
    status: async () => status(),
    toggle,
    remember(list: TrackInfo[]) {
      known = list;
    },
    async stop(): Promise<Status> {
      if (audio) {
        audio.pause();
        audio.currentTime = 0;
      }
      track = null;
      emit(status());
      return status();
    },
    async volume(v: number | null): Promise<Status> {
      if (v !== null) volume = Math.min(1, Math.max(0, v));
      if (audio) audio.volume = volume ?? 1;
      return status();
    },
    async skip(step: number): Promise<Status> {
      if (known.length === 0) known = await tracks();
      if (known.length === 0) return status();
      const at = known.findIndex((t) => t.id === track);
      const next = known[(((at < 0 ? 0 : at + step) % known.length) + known.length) % known.length];
      return next ? toggle(next.id) : status();
    },
  };
}

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
      const home = await serve<Home>("home", args);
      lastHome = home;
      const version = waitingShown;
      if (version !== null) {
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
    fetch: (input, init) => fetch(input, init),
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
