import { describe, expect, it } from "vitest";
import { domainLayout, layoutFor, shifted, type LayoutName } from "./keyboard";
import { isJamo } from "./hangul";

const ALL: LayoutName[] = ["latin", "cyrillic", "arabic", "hebrew", "hangul"];
const letters = (name: string) => layoutFor(name).rows.flat();

describe("keyboard layouts", () => {
  it.each([
    ["latin", "latin"],
    ["cyrillic", "cyrillic"],
    ["arabic", "arabic"],
    ["hebrew", "hebrew"],
    ["hangul", "hangul"],
    [" Arabic ", "arabic"],
    ["chinese", "latin"],
    ["cjk", "latin"],
    ["", "latin"],
    ["toString", "latin"],
    ["klingon", "latin"],
  ])("%j selects %s", (asked, expected) => {
    expect(layoutFor(asked).name, "a named layout, or Latin for anything unknown").toBe(expected);
  });

  it("each layout has the letters its languages need", () => {
    expect(letters("cyrillic"), "Kazakh letters beside the Russian ones").toEqual(
      expect.arrayContaining([..."әіңғүұқөһ", ..."йцукенгшщзхъ", "ё"]),
    );
    expect(letters("arabic"), "Arabic with the Persian and Urdu extras").toEqual(
      expect.arrayContaining([..."ابتثجحخدذرزسشصضطظعغفقكلمنهوي", ..."پچژگکی", "ء", "ة", "أ", "إ"]),
    );
    expect(letters("hebrew"), "the 22 letters and the five final forms").toEqual(
      expect.arrayContaining([..."אבגדהוזחטיכלמנסעפצקרשת", ..."ךםןףץ"]),
    );
    expect(letters("hangul").every(isJamo), "the Korean keys are all jamo the composer takes").toBe(true);
    expect(letters("latin").join(""), "qwerty").toBe("qwertyuiopasdfghjklzxcvbnm");
  });

  it.each(ALL)("%s: no key twice, at most 12 keys a row (fits a 1080-px portrait screen)", (name) => {
    const layout = layoutFor(name);
    const all = layout.rows.flat();
    expect(new Set(all).size, "every key once").toBe(all.length);
    for (const row of layout.rows) expect(row.length, `row ${row.join("")}`).toBeLessThanOrEqual(12);
  });

  it("shift: case for Latin and Cyrillic, double consonants for Hangul, none for Arabic and Hebrew", () => {
    expect(shifted(layoutFor("latin"), "q")).toBe("Q");
    expect(shifted(layoutFor("cyrillic"), "ә")).toBe("Ә");
    expect(shifted(layoutFor("hangul"), "ㄱ")).toBe("ㄲ");
    expect(shifted(layoutFor("hangul"), "ㅁ"), "a key with no shifted letter types itself").toBe("ㅁ");
    expect(layoutFor("arabic").shift, "Arabic has no case: no ⇧ key").toBeNull();
    expect(layoutFor("hebrew").shift, "Hebrew has no case: no ⇧ key").toBeNull();
  });

  it("the toggle's label is Latin's ABC or the script's first letters", () => {
    expect(ALL.map((n) => layoutFor(n).label)).toEqual(["ABC", "АБВ", "أبت", "אבג", "가나다"]);
  });

  it("an IDN domain can be typed in an alphabet, not in Latin (already ASCII) or Hangul", () => {
    expect(ALL.map((n) => domainLayout(n)?.name ?? null)).toEqual([null, "cyrillic", "arabic", "hebrew", null]);
    expect(domainLayout("unknown"), "unknown is Latin").toBeNull();
  });
});
