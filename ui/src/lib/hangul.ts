// Hangul composition for the on-screen keyboard's Korean (2-set, 두벌식)
// layout. A visitor taps letters (jamo: ㅎ, ㅏ, ㄴ); Korean is written in
// syllable blocks (한), so the keys' letters are assembled into precomposed
// syllables as they are typed, as every Korean keyboard does.
//
// The keyboard keeps the jamo typed since the last space or non-jamo key and
// asks `compose` for their text after each key; backspace drops the last jamo
// and composes again, so it undoes one tap at a time (한 → 하 → ㅎ) instead of
// deleting a whole syllable. Pure: no DOM, unit-tested in hangul.test.ts.
//
// Unicode: a precomposed syllable is U+AC00 + (L × 21 + V) × 28 + T, where L
// is the leading consonant's index (19), V the vowel's (21) and T the final
// consonant's (28, 0 for none). The keys carry the compatibility jamo
// (U+3131–U+318E), the letters a Korean keyboard's keycaps show.

const LEADS = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ";
const VOWELS = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ";
// Index 0 is "no final consonant"; ㄸ ㅃ ㅉ never end a syllable.
const TAILS = ["", ..."ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ"];

// Two vowel keys that make one vowel (ㅗ then ㅏ is ㅘ).
const VOWEL_PAIRS: Record<string, string> = {
  ㅗㅏ: "ㅘ",
  ㅗㅐ: "ㅙ",
  ㅗㅣ: "ㅚ",
  ㅜㅓ: "ㅝ",
  ㅜㅔ: "ㅞ",
  ㅜㅣ: "ㅟ",
  ㅡㅣ: "ㅢ",
};

// Two consonant keys that make one final consonant (ㅂ then ㅅ is ㅄ, as in 값).
const TAIL_PAIRS: Record<string, string> = {
  ㄱㅅ: "ㄳ",
  ㄴㅈ: "ㄵ",
  ㄴㅎ: "ㄶ",
  ㄹㄱ: "ㄺ",
  ㄹㅁ: "ㄻ",
  ㄹㅂ: "ㄼ",
  ㄹㅅ: "ㄽ",
  ㄹㅌ: "ㄾ",
  ㄹㅍ: "ㄿ",
  ㄹㅎ: "ㅀ",
  ㅂㅅ: "ㅄ",
};
const TAIL_SPLIT: Record<string, [string, string]> = Object.fromEntries(
  Object.entries(TAIL_PAIRS).map(([pair, tail]) => [tail, [...pair] as [string, string]]),
);

/** Whether `key` is a Hangul letter the composer takes (a consonant or a vowel). */
export function isJamo(key: string): boolean {
  return isConsonant(key) || isVowel(key);
}

function isConsonant(ch: string): boolean {
  return ch.length === 1 && (LEADS.includes(ch) || TAILS.includes(ch));
}

function isVowel(ch: string): boolean {
  return ch.length === 1 && VOWELS.includes(ch);
}

/** The syllable being built: a lead consonant, a vowel, a final, each perhaps missing. */
interface Block {
  lead: string | null;
  vowel: string | null;
  tail: string | null;
}

const EMPTY: Block = { lead: null, vowel: null, tail: null };

/** U+AC00 + (L × 21 + V) × 28 + T. */
export function syllable(lead: string, vowel: string, tail: string | null = null): string {
  const l = LEADS.indexOf(lead);
  const v = VOWELS.indexOf(vowel);
  const t = TAILS.indexOf(tail ?? "");
  if (l < 0 || v < 0 || t < 0) throw new Error(`not a syllable: ${lead} ${vowel} ${tail ?? ""}`);
  return String.fromCharCode(0xac00 + (l * 21 + v) * 28 + t);
}

function render(b: Block): string {
  if (b.lead && b.vowel) return syllable(b.lead, b.vowel, b.tail);
  return (b.lead ?? "") + (b.vowel ?? "");
}

/**
 * The text the jamo `keys` make, typed in this order on a 2-set keyboard:
 * `compose(["ㅎ","ㅏ","ㄴ"])` is "한", and a vowel after a final takes that
 * consonant into the next syllable (`ㅎㅏㄴㅏ` is "하나"). Anything that is
 * not a jamo is passed through and ends the syllable.
 */
export function compose(keys: readonly string[]): string {
  let out = "";
  let b: Block = EMPTY;
  const flush = (next: Block) => {
    out += render(b);
    b = next;
  };
  for (const k of keys) {
    if (isVowel(k)) {
      const pair = b.vowel && !b.tail ? VOWEL_PAIRS[b.vowel + k] : undefined;
      if (b.lead && !b.vowel) b = { ...b, vowel: k };
      else if (pair) b = { ...b, vowel: pair };
      else if (b.tail) {
        // The final consonant (or the second half of a double one) starts the next syllable.
        const [keep, move] = TAIL_SPLIT[b.tail] ?? [null, b.tail];
        b = { ...b, tail: keep };
        flush({ lead: move, vowel: k, tail: null });
      } else flush({ lead: null, vowel: k, tail: null });
    } else if (isConsonant(k)) {
      const pair = b.tail ? TAIL_PAIRS[b.tail + k] : undefined;
      if (b.lead && b.vowel && !b.tail && TAILS.includes(k)) b = { ...b, tail: k };
      else if (pair) b = { ...b, tail: pair };
      else flush({ lead: k, vowel: null, tail: null });
    } else {
      flush(EMPTY);
      out += k;
    }
  }
  return out + render(b);
}

/**
 * How to turn the text `before` into `after` at the end of a field with only
 * backspaces and appended text: `back` backspaces, then `text`. The keyboard
 * replaces a changing syllable this way (한 → 하나 is one backspace and "하나").
 */
export function edit(before: string, after: string): { back: number; text: string } {
  const a = [...before];
  const b = [...after];
  let same = 0;
  while (same < a.length && same < b.length && a[same] === b[same]) same++;
  return { back: a.length - same, text: b.slice(same).join("") };
}

/** A change at the end of a field: `back` backspaces, then `text` typed. */
export interface Edit {
  back: number;
  text: string;
}

/**
 * The keys of the syllables being typed, for a keyboard that can only
 * append and delete the last character: each key or backspace answers the
 * edit that brings the field from the old composition to the new one.
 */
export class Composer {
  private keys: string[] = [];

  /** A key pressed: a jamo joins the syllables being typed; anything else ends them and is typed as is. */
  type(key: string): Edit {
    if (!isJamo(key)) {
      this.keys = [];
      return { back: 0, text: key };
    }
    const before = compose(this.keys);
    this.keys = [...this.keys, key];
    return edit(before, compose(this.keys));
  }

  /** Backspace: the last jamo undone, or one character deleted when nothing is being composed. */
  back(): Edit {
    if (this.keys.length === 0) return { back: 1, text: "" };
    const before = compose(this.keys);
    this.keys = this.keys.slice(0, -1);
    return edit(before, compose(this.keys));
  }

  /** The field changed some other way (another field, another layout): start afresh. */
  reset(): void {
    this.keys = [];
  }
}
