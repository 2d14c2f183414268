// The visitor's accessibility modes, and what the keypad and speech do.
//
// Speech is synthesised and played in Rust (crates/speech, through the same
// sound device as the music); this module decides what is said and when:
// - a keypad (or keyboard) key switches keypad and speech mode on at once:
//   a visitor who cannot see the screen needs nothing else to start. The
//   attract screen says so now and then (`hint`), and a two-finger touch held
//   for two seconds does the same for a visitor who has no keypad;
// - the arrows move through the screen's items in reading order (keypad.ts),
//   Enter presses the item, Back goes back, Help explains the screen, and
//   each item reached is spoken and ringed;
// - with speech on, a touch on an item says it and rings it; a second touch
//   on the same item presses it (touch-and-hear);
// - errors and confirmations (role alert/status) are said as they appear,
//   and a new screen says its title;
// - in a field, Enter reads back what was typed, character by character; a
//   staff PIN key sounds a tone, never its digit;
// - large text, high contrast and reach mode are classes on the page root;
//   their sizes come from the screen's physical size in the kiosk's config
//   (`accessLayout`, computed in Rust);
// - everything here is the visitor's own: `reset` puts it all back for the next.
import { tick } from "svelte";
import { api, isUiError } from "../lib/api";
import type { AccessLayout } from "../lib/bindings";
import { t } from "../lib/i18n";
import { itemAt, items, labelOf, langOf, shown, step, topLayer } from "./keypad";

/** What a key does, by `KeyboardEvent.key`. A keypad's keys arrive as these. */
export const KEYS: Record<string, Command> = {
  ArrowDown: "next",
  ArrowRight: "next",
  Tab: "next",
  ArrowUp: "previous",
  ArrowLeft: "previous",
  Enter: "activate",
  " ": "activate",
  Escape: "back",
  Backspace: "back",
  BrowserBack: "back",
  F1: "help",
  Help: "help",
  "?": "help",
  F2: "repeat",
  F3: "pause",
  Pause: "pause",
  "+": "louder",
  "=": "louder",
  AudioVolumeUp: "louder",
  "-": "softer",
  AudioVolumeDown: "softer",
  F4: "options",
  F5: "large",
  F6: "contrast",
  F7: "reach",
  F8: "speech",
};

export type Command =
  | "next"
  | "previous"
  | "activate"
  | "back"
  | "help"
  | "repeat"
  | "pause"
  | "louder"
  | "softer"
  | "options"
  | "large"
  | "contrast"
  | "reach"
  | "speech";

/** The command a key gives, if any (Shift+Tab goes back through the items). */
export function commandOf(e: Pick<KeyboardEvent, "key" | "shiftKey" | "ctrlKey" | "altKey" | "metaKey">): Command | null {
  if (e.ctrlKey || e.altKey || e.metaKey) return null;
  if (e.key === "Tab" && e.shiftKey) return "previous";
  return KEYS[e.key] ?? null;
}

/** How long two fingers are held to switch speech on or off. */
const TWO_FINGER_HOLD_MS = 2000;
/** How far a held finger may drift before the hold counts as a gesture, not a hold. */
const HOLD_SLOP_PX = 12;

/** A numeric keypad's keys by position, NumLock on or off (8 up, 2 down, 5 and Enter choose). */
const NUMPAD: Record<string, Command> = {
  Numpad8: "previous",
  Numpad4: "previous",
  Numpad2: "next",
  Numpad6: "next",
  Numpad5: "activate",
  NumpadEnter: "activate",
  Numpad0: "back",
  NumpadDecimal: "help",
  NumpadAdd: "louder",
  NumpadSubtract: "softer",
};

const MODIFIERS = new Set(["Shift", "Control", "Alt", "Meta", "AltGraph", "CapsLock", "NumLock", "Fn", "Dead", "Unidentified"]);

/** Whether `target` is a field a real keyboard types into. */
function isField(target: EventTarget | null): boolean {
  return (
    (target instanceof HTMLInputElement && !["checkbox", "radio", "button", "submit"].includes(target.type)) ||
    target instanceof HTMLTextAreaElement
  );
}
const VOLUME_STEP = 0.15;

export class Access {
  /** Speech mode: what is touched or reached by key is said. */
  speech = $state(false);
  /** A keypad or keyboard has been used in this visit. */
  keypad = $state(false);
  large = $state(false);
  contrast = $state(false);
  reach = $state(false);
  /** The options panel is open. */
  panel = $state(false);
  /** The last thing said (tests read it as `data-speaking`). */
  spoken = $state("");
  /** Counts utterances, so a test can wait for the next one. */
  said = $state(0);
  /** Counts the attract screen's spoken hints. */
  hints = $state(0);
  /** Speech failed (no voice, no device): shown on the speech switch. */
  speechError = $state<string | null>(null);
  /** The screen's physical layout: band for reach mode, size for large text. */
  layout = $state<AccessLayout | null>(null);

  #focused: HTMLElement | null = null;
  #last: { text: string; lang: string; spell: boolean } | null = null;
  #saidAt = 0;
  #seq = 0;
  /** Counts keypad commands: a press still settling gives way to a newer key. */
  #commands = 0;
  /** The keypad is pressing an item (its click is not a touch to be heard first). */
  #pressing = false;
  #root: () => ParentNode;
  #lang: () => string;

  constructor(root: () => ParentNode, lang: () => string) {
    this.#root = root;
    this.#lang = lang;
  }

  /** The item the keypad is on. */
  get focused(): HTMLElement | null {
    return this.#focused?.isConnected ? this.#focused : null;
  }

  /** Whether the visitor needs the longer timeout (speech or keypad in use). */
  get assisted(): boolean {
    return this.speech || this.keypad;
  }

  /** Says `text` (in `lang`) if speech is on. `spell`: character by character. */
  say(text: string, lang = this.#lang(), spell = false): void {
    if (!this.speech || text.trim() === "") return;
    // The same words asked for twice at once (a press that also changed the
    // screen) are said once, not restarted.
    const now = performance.now();
    if (this.#last?.text === text && this.#last.lang === lang && now - this.#saidAt < 400) return;
    this.#saidAt = now;
    this.#last = { text, lang, spell };
    this.spoken = text;
    this.said += 1;
    const seq = this.#nextSeq();
    const call = spell ? api.speechSpell(text, lang, seq) : api.speechSay(text, lang, seq);
    call.then(
      () => (this.speechError = null),
      (e: unknown) => (this.speechError = isUiError(e) ? e.code : String(e)),
    );
  }

  /** Says `text` even with speech off (the attract screen's hint). */
  hint(text: string, lang: string): void {
    if (this.layout?.speech === false) return;
    this.hints += 1;
    void api.speechSay(text, lang, this.#nextSeq()).catch(() => {});
  }

  /** Requests are numbered by the clock (ms, wrapping at 2³²) and always
   * upwards: the kiosk drops one that reaches it after a newer one. */
  #nextSeq(): number {
    this.#seq = Math.max(this.#seq + 1, Date.now() % 2 ** 32) % 2 ** 32;
    return this.#seq;
  }

  /** Rings `el` without saying it. */
  ring(el: HTMLElement | null): void {
    this.#focused?.removeAttribute("data-focused");
    this.#focused = el;
    if (!el) return;
    el.setAttribute("data-focused", "true");
    el.scrollIntoView({ block: "nearest", inline: "nearest" });
  }

  /** Rings `el` and says it. */
  focus(el: HTMLElement | null): void {
    this.ring(el);
    if (!el) return;
    if (el.closest("[data-speech='tone']") && el.matches("button")) {
      // A staff PIN digit: a tone, never the digit.
      if (this.speech) {
        this.spoken = "";
        this.said += 1;
        void api.speechTone(this.#nextSeq()).catch(() => {});
      }
      return;
    }
    // A key of the on-screen keyboard ("a", "@", ".") is named, not read as a word.
    const label = this.labelOf(el);
    this.say(label, langOf(el, this.#lang()), [...label.trim()].length === 1);
  }

  labelOf(el: HTMLElement): string {
    return labelOf(el, { on: t("stateOn"), off: t("stateOff"), unavailable: t("stateUnavailable") });
  }

  /** The screen's items in reading order. */
  items(): HTMLElement[] {
    return items(this.#root());
  }

  /** Runs a keypad command. */
  async run(command: Command): Promise<void> {
    this.#commands += 1;
    switch (command) {
      case "next":
      case "previous": {
        const list = this.items();
        const at = this.focused ? list.indexOf(this.focused) : -1;
        this.focus(list[step(list.length, at, command === "next" ? 1 : -1)] ?? null);
        return;
      }
      case "activate":
        return this.activate();
      case "back":
        return this.back();
      case "help":
        this.say(`${this.screenTitle()} ${t("a11yHelp")}`.trim());
        return;
      case "repeat":
        if (this.#last) this.say(this.#last.text, this.#last.lang, this.#last.spell);
        return;
      case "pause":
        void api.speechPause().catch(() => {});
        return;
      case "louder":
      case "softer": {
        const v = await api.speechVolume(command === "louder" ? VOLUME_STEP : -VOLUME_STEP).catch(() => null);
        if (v !== null) this.say(`${t("a11yVolume")} ${Math.round(v * 100)}%`);
        return;
      }
      case "options":
        this.panel = !this.panel;
        await this.settle();
        if (this.panel) this.focus(this.items()[0] ?? null);
        return;
      case "large":
      case "contrast":
      case "reach":
        return this.toggle(command);
      case "speech":
        return this.setSpeech(!this.speech);
    }
  }

  /** Presses the ringed item; a field instead reads back what is in it. */
  async activate(): Promise<void> {
    const el = this.focused;
    if (!el) {
      this.say(`${this.screenTitle()} ${t("a11yHelp")}`.trim());
      return;
    }
    if ((el instanceof HTMLInputElement && el.type !== "checkbox" && el.type !== "radio") || el instanceof HTMLTextAreaElement) {
      // The on-screen keyboard now types here (the field takes it on focus);
      // the focus does not stay, so the keypad's Back is not the field's Backspace.
      el.focus({ preventScroll: true });
      el.blur();
      const text = el.value;
      if (text === "") this.say(this.labelOf(el));
      else this.say(text, langOf(el, this.#lang()), true);
      return;
    }
    const before = this.said;
    const command = this.#commands;
    const label = this.labelOf(el);
    this.press(el);
    // What the press does may come after an IPC answer (play → pause): wait
    // up to a second for the item to change or the screen to move on, unless
    // the visitor has pressed another key meanwhile (then that one speaks).
    const still = () => el.isConnected && shown(el) && topLayer(this.#root()).contains(el);
    const waiting = () => command === this.#commands && still() && this.labelOf(el) === label && this.said === before;
    for (let waited = 0; waited < 1000 && waiting(); waited += 50) {
      await new Promise((r) => setTimeout(r, 50));
    }
    await this.settle();
    if (command !== this.#commands) return;
    if (still()) {
      // Same screen: the ring stays and what changed about the item (on/off,
      // play/pause) is said, unless the press itself said something (an error).
      if (this.said === before) this.focus(el);
      else this.ring(el);
    } else if (this.said === before) {
      this.screenChanged();
    } else {
      this.ring(null);
    }
  }

  /** Presses `el` for the keypad: a press, not a touch to be heard first. */
  press(el: HTMLElement): void {
    this.#pressing = true;
    try {
      el.click();
    } finally {
      this.#pressing = false;
    }
  }

  /** Back: closes what is open, else the screen's Back button. */
  async back(): Promise<void> {
    if (this.panel) {
      this.panel = false;
      await this.settle();
      this.focus(this.#root().querySelector<HTMLElement>("[data-testid='a11y-toggle']"));
      return;
    }
    const layer = topLayer(this.#root());
    const button = [...layer.querySelectorAll<HTMLElement>("[data-back], [data-testid='back'], [data-testid='staff-cancel']")].find(shown);
    if (button) {
      this.press(button);
      await this.settle();
      this.screenChanged();
    } else {
      this.say(`${this.screenTitle()} ${t("a11yHelp")}`.trim());
    }
  }

  /** A new screen or layer is showing: the ring goes, its title is said. */
  screenChanged(): void {
    this.focus(null);
    if (this.speech) this.say(this.screenTitle());
  }

  /** The title of what is showing: the open dialog's label, else the screen's heading. */
  screenTitle(): string {
    const layer = topLayer(this.#root());
    if (layer instanceof HTMLElement && layer !== this.#root()) {
      const label = layer.getAttribute("aria-label");
      if (label) return `${label}.`;
    }
    const heading = [...layer.querySelectorAll<HTMLElement>("main h1, main h2, [role='dialog'] h2")].find(shown);
    const text = heading?.innerText.trim() || t("embassy");
    return `${text}.`;
  }

  toggle(which: "large" | "contrast" | "reach"): void {
    this[which] = !this[which];
    const name = { large: t("a11yLarge"), contrast: t("a11yContrast"), reach: t("a11yReach") }[which];
    this.say(`${name}: ${this[which] ? t("stateOn") : t("stateOff")}`);
  }

  async setSpeech(on: boolean): Promise<void> {
    if (on && this.layout?.speech === false) return;
    if (!on) {
      // Said before it goes quiet, so the visitor knows.
      this.say(t("speechOff"));
      this.speech = false;
      void api.accessAssist(this.assisted).catch(() => {});
      return;
    }
    this.speech = true;
    void api.accessAssist(true).catch(() => {});
    await this.settle();
    this.say(`${t("speechOn")} ${this.screenTitle()} ${t("a11yHelp")}`.trim());
  }

  /** A key: the first one switches keypad and speech mode on. */
  onKey = (e: KeyboardEvent): void => {
    const command = commandOf(e);
    // A keypad's own keys (a numeric keypad, NumLock on or off) by where they are.
    const byCode = NUMPAD[e.code];
    if (!command && !byCode) {
      // Any other key (not a modifier, not typing into a field) also starts
      // keypad mode: "press any key" is what the attract screen says.
      if (!this.keypad && !e.ctrlKey && !e.altKey && !e.metaKey && !MODIFIERS.has(e.key) && !isField(e.target)) {
        e.preventDefault();
        this.keypad = true;
        if (this.layout?.speech !== false && !this.speech) void this.setSpeech(true);
        else void api.accessAssist(true).catch(() => {});
      }
      return;
    }
    const chosen = (byCode ?? command) as Command;
    // A held key repeats: moving on is fine, pressing again and again is not.
    if (e.repeat && chosen !== "next" && chosen !== "previous") {
      e.preventDefault();
      return;
    }
    // A field being typed into with a real keyboard keeps its characters and
    // its Backspace, and, until the keypad is in use, its Enter and arrows.
    if (isField(e.target) && !byCode && (e.key.length === 1 || e.key === "Backspace" || !this.keypad)) return;
    // Not stopped: the staff panel still hears keys as staff activity.
    e.preventDefault();
    if (!this.keypad) {
      this.keypad = true;
      if (this.layout?.speech !== false && !this.speech) {
        void this.setSpeech(true);
        return;
      }
      void api.accessAssist(true).catch(() => {});
    }
    void this.run(chosen);
  };

  /** Touch-and-hear: with speech on, the first touch on an item says it. */
  onClick = (e: MouseEvent): void => {
    if (!this.speech || this.#pressing) return;
    const item = itemAt(this.items(), e.target);
    if (!item || item === this.focused) return;
    // The way out of speech, and the options, answer the first touch: a
    // visitor who switched speech on by mistake is never stuck in it.
    if (item.closest("[data-direct]")) return;
    // Only things that do something wait for a second touch; text is just said.
    if (item.matches("button, a[href], input, select, textarea, [role='button'], [role='checkbox']")) {
      e.preventDefault();
      e.stopPropagation();
    }
    this.focus(item);
  };

  /** The touches down now: id and where each began. */
  #fingers: { id: number; x: number; y: number }[] = [];
  #hold: ReturnType<typeof setTimeout> | null = null;

  #cancelHold(): void {
    if (this.#hold) clearTimeout(this.#hold);
    this.#hold = null;
  }

  /** Two fingers held still (a palm, a pinch or two visitors move, or are three). */
  onPointerDown = (e: PointerEvent): void => {
    if (e.pointerType !== "touch") return;
    // The first finger of a new touch: whatever was down before has lifted, seen or not.
    if (e.isPrimary) this.#fingers = [];
    this.#fingers.push({ id: e.pointerId, x: e.clientX, y: e.clientY });
    this.#cancelHold();
    if (this.#fingers.length === 2) {
      this.#hold = setTimeout(() => {
        this.#hold = null;
        if (this.#fingers.length === 2) void this.setSpeech(!this.speech);
      }, TWO_FINGER_HOLD_MS);
    }
  };

  onPointerMove = (e: PointerEvent): void => {
    const f = this.#fingers.find((f) => f.id === e.pointerId);
    if (f && this.#hold && Math.hypot(e.clientX - f.x, e.clientY - f.y) > HOLD_SLOP_PX) this.#cancelHold();
  };

  onPointerUp = (e: PointerEvent): void => {
    this.#fingers = this.#fingers.filter((f) => f.id !== e.pointerId);
    this.#cancelHold();
  };

  /** Says alerts and confirmations as they appear or change. */
  watch(root: Node): () => void {
    const observer = new MutationObserver((records) => {
      if (!this.speech) return;
      const live: HTMLElement[] = [];
      for (const r of records) {
        const node = r.target instanceof HTMLElement ? r.target : r.target.parentElement;
        const region = node?.closest<HTMLElement>("[role='alert'], [role='status']");
        if (region) live.push(region);
        for (const added of r.addedNodes) {
          if (!(added instanceof HTMLElement)) continue;
          if (added.matches("[role='alert'], [role='status']")) live.push(added);
          live.push(...added.querySelectorAll<HTMLElement>("[role='alert'], [role='status']"));
        }
      }
      const last = live.filter((x) => shown(x) && x.innerText.trim() !== "").at(-1);
      if (last) this.say(last.innerText.trim(), langOf(last, this.#lang()));
    });
    observer.observe(root, { subtree: true, childList: true, characterData: true });
    return () => observer.disconnect();
  }

  /** Starts listening on `win`; returns the function that stops. */
  listen(win: Window): () => void {
    win.addEventListener("keydown", this.onKey, { capture: true });
    win.addEventListener("click", this.onClick, { capture: true });
    win.addEventListener("pointerdown", this.onPointerDown, { capture: true, passive: true });
    win.addEventListener("pointerup", this.onPointerUp, { capture: true, passive: true });
    win.addEventListener("pointermove", this.onPointerMove, { capture: true, passive: true });
    win.addEventListener("pointercancel", this.onPointerUp, { capture: true, passive: true });
    const measure = () => {
      void api.accessLayout(win.innerWidth, win.innerHeight).then((l) => (this.layout = l));
    };
    measure();
    win.addEventListener("resize", measure);
    return () => {
      win.removeEventListener("keydown", this.onKey, { capture: true });
      win.removeEventListener("click", this.onClick, { capture: true });
      win.removeEventListener("pointerdown", this.onPointerDown, { capture: true });
      win.removeEventListener("pointerup", this.onPointerUp, { capture: true });
      win.removeEventListener("pointermove", this.onPointerMove, { capture: true });
      win.removeEventListener("pointercancel", this.onPointerUp, { capture: true });
      win.removeEventListener("resize", measure);
    };
  }

  /** The next visitor: speech off, normal text and colours, controls where they were. */
  reset(): void {
    this.focus(null);
    this.speech = false;
    this.keypad = false;
    this.large = false;
    this.contrast = false;
    this.reach = false;
    this.panel = false;
    this.spoken = "";
    this.speechError = null;
    this.#last = null;
    this.#fingers = [];
    this.#cancelHold();
  }

  /** Waits for the screen to show what the last change did. */
  async settle(): Promise<void> {
    await tick();
    await new Promise((r) => requestAnimationFrame(() => r(null)));
  }
}

/** The page root's classes and sizes for the modes that are on. */
export function applyModes(root: HTMLElement, a: Pick<Access, "large" | "contrast" | "reach" | "layout">): void {
  root.classList.toggle("a11y-large", a.large);
  root.classList.toggle("a11y-contrast", a.contrast);
  const top = a.layout?.band_top ?? 0;
  const bottom = a.layout?.band_bottom ?? 1;
  root.classList.toggle("a11y-reach", a.reach && reachable(a.layout));
  root.style.setProperty("--large-min", `${a.layout?.large_min_px ?? 0}px`);
  // For the layout checks: the screen's scale the sizes were computed on.
  root.dataset.pxPerMm = String(a.layout?.px_per_mm ?? 0);
  root.style.setProperty("--reach-top", `${(top * 100).toFixed(2)}vh`);
  root.style.setProperty("--reach-height", `${((bottom - top) * 100).toFixed(2)}vh`);
}

/** Whether reach mode has somewhere to go: part of the screen is above the
 * band, and the band is tall enough (40 % of the screen) to hold the kiosk. */
export function reachable(layout: AccessLayout | null): boolean {
  const top = layout?.band_top ?? 0;
  const bottom = layout?.band_bottom ?? 1;
  return top > 0.001 && bottom - top >= 0.4;
}
