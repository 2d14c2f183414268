// The on-screen keyboard's layouts (Keyboard.svelte draws them). The bundle
// names, per language, the layout of its name keyboard; the email keyboard
// stays ASCII, and after the "@" an alphabet's layout can type an
// internationalised domain (.қаз, .рф, .مصر). Pure data and look-ups,
// unit-tested in keyboard.test.ts.
//
// Chinese and Japanese have no layout here, on purpose: typing either needs
// an input method (pinyin or kana → a choice among candidate characters)
// that a touch kiosk cannot offer well, and the name an embassy's list needs
// is the one in the visitor's passport, whose machine-readable line is in
// Latin letters. So a CJK language's bundle names "latin" (or anything
// unknown, which falls back to Latin).
//
// Rows are listed as the keys stand left to right on the language's usual
// hardware keyboard, and the keyboard is drawn left to right whatever the
// page's direction, so a visitor finds the letters where they expect them.

/** The layouts a bundle can name. */
export type LayoutName = "latin" | "cyrillic" | "arabic" | "hebrew" | "hangul";

export interface Layout {
  name: LayoutName;
  /** Rows of keys, each key the text it types. */
  rows: readonly (readonly string[])[];
  /** What ⇧ does: upper case, another set of letters (Hangul's double consonants), or there is no ⇧. */
  shift: "case" | Readonly<Record<string, string>> | null;
  /** The label of the key that switches to this layout: its first letters, as "ABC" is Latin's. */
  label: string;
  /** Hangul: the letters typed are composed into syllables (hangul.ts). */
  compose: boolean;
  /** An alphabet a domain name can be written in (.қаз, .рф): offered after the "@". */
  domain: boolean;
}

const keys = (row: string): string[] => [...row];

const LATIN: Layout = {
  name: "latin",
  rows: ["qwertyuiop", "asdfghjkl", "zxcvbnm"].map(keys),
  shift: "case",
  label: "ABC",
  compose: false,
  domain: false,
};

// Russian (ЙЦУКЕН) with the Kazakh letters in a row of their own above it.
const CYRILLIC: Layout = {
  name: "cyrillic",
  rows: ["әіңғүұқөһ", "йцукенгшщзхъ", "фывапролджэ", "ячсмитьбюё"].map(keys),
  shift: "case",
  label: "АБВ",
  compose: false,
  domain: true,
};

// The standard Arabic (101) keyboard's letters; its "لا" key types the two
// letters. Arabic has no letter case, so no ⇧; the hamza forms (أ إ آ, ⇧ on a
// hardware keyboard) and the Persian and Urdu letters (پ چ ژ گ ک ی) are a row
// of their own.
const ARABIC: Layout = {
  name: "arabic",
  rows: [
    keys("ضصثقفغعهخحجد"),
    keys("شسيبلاتنمكط"),
    ["ئ", "ء", "ؤ", "ر", "لا", "ى", "ة", "و", "ز", "ظ", "ذ"],
    keys("أإآپچژگکی"),
  ],
  shift: null,
  label: "أبت",
  compose: false,
  domain: true,
};

// The Israeli standard (SI 1452) keyboard's letters, final forms where they stand on it.
const HEBREW: Layout = {
  name: "hebrew",
  rows: ["קראטוןםפ", "שדגכעיחלךף", "זסבהנמצתץ"].map(keys),
  shift: null,
  label: "אבג",
  compose: false,
  domain: true,
};

// The Korean 2-set (두벌식) keyboard: consonants on the left, vowels on the
// right; ⇧ gives the double consonants and ㅒ ㅖ. Composed into syllables.
const HANGUL: Layout = {
  name: "hangul",
  rows: ["ㅂㅈㄷㄱㅅㅛㅕㅑㅐㅔ", "ㅁㄴㅇㄹㅎㅗㅓㅏㅣ", "ㅋㅌㅊㅍㅠㅜㅡ"].map(keys),
  shift: { ㅂ: "ㅃ", ㅈ: "ㅉ", ㄷ: "ㄸ", ㄱ: "ㄲ", ㅅ: "ㅆ", ㅐ: "ㅒ", ㅔ: "ㅖ" },
  label: "가나다",
  compose: true,
  domain: false,
};

const LAYOUTS: Record<LayoutName, Layout> = {
  latin: LATIN,
  cyrillic: CYRILLIC,
  arabic: ARABIC,
  hebrew: HEBREW,
  hangul: HANGUL,
};

/** The Latin layout: the email keyboard, and the other half of every name keyboard's toggle. */
export const latin: Layout = LATIN;

/** The email endings offered before a bundle names its own. */
export const DEFAULT_ENDINGS: readonly string[] = ["@gmail.com", ".com", ".org"];

/** The layout a bundle names; anything unknown (a CJK language's, a typo) is Latin. */
export function layoutFor(name: string): Layout {
  const key = name.trim().toLowerCase();
  return Object.hasOwn(LAYOUTS, key) ? LAYOUTS[key as LayoutName] : LATIN;
}

/** The layout that can type the domain after the "@" in this language, if its script has domain names. */
export function domainLayout(name: string): Layout | null {
  const layout = layoutFor(name);
  return layout.domain ? layout : null;
}

/** What `key` types with ⇧ down on `layout`. */
export function shifted(layout: Layout, key: string): string {
  if (layout.shift === "case") return key.toUpperCase();
  return layout.shift?.[key] ?? key;
}
