// The preview's music player: one <audio> element playing the preview bundle's
// tracks, answering the kiosk's music commands with the same Status the real
// player gives and announcing changes as the kiosk's `music` event.
import type { Status, TrackInfo } from "../src/lib/bindings";

/** The parts of an `<audio>` element the preview's player uses. */
export type AudioLike = {
  src: string;
  currentTime: number;
  readonly duration: number;
  readonly paused: boolean;
  volume: number;
  play(): Promise<void>;
  pause(): void;
  addEventListener(type: "play" | "pause" | "ended" | "error" | "timeupdate", fn: () => void): void;
};

export type PlayerDeps = {
  /** Milliseconds, for throttling the progress events to one a second. */
  now: () => number;
  audio: () => AudioLike;
};

/** One `<audio>` element standing in for the kiosk's player. */
export function createPlayer(deps: PlayerDeps, emit: (status: Status) => void, tracks: () => Promise<TrackInfo[]>) {
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
    // A track that ends, or that the browser cannot play, leaves nothing loaded.
    for (const type of ["ended", "error"] as const) {
      a.addEventListener(type, () => {
        track = null;
        emit(status());
      });
    }
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
