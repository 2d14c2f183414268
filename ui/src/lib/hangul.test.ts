import { describe, expect, it } from "vitest";
import { compose, Composer, edit, isJamo, syllable, type Edit } from "./hangul";

const keys = (s: string) => [...s];

describe("hangul composition", () => {
  it("computes precomposed syllables as U+AC00 + (L*21+V)*28+T", () => {
    expect(syllable("ㄱ", "ㅏ"), "the first syllable is U+AC00").toBe("\uac00");
    expect(syllable("ㅎ", "ㅏ", "ㄴ"), "ㅎ ㅏ ㄴ is 한 (U+D55C)").toBe("\ud55c");
    expect(syllable("ㅎ", "ㅣ", "ㅎ"), "the last syllable is U+D7A3").toBe("\ud7a3");
  });

  it.each([
    ["ㅎㅏㄴ", "한", "lead, vowel, final make one block"],
    ["ㅎㅏㄴㄱㅜㄱㅇㅓ", "한국어", "a final stays when a consonant follows"],
    ["ㄱㅏㅂㅅ", "값", "two consonants make one double final"],
    ["ㄱㅏㅂㅅㅣ", "갑시", "a vowel after a double final takes its second half"],
    ["ㅎㅏㄴㅏ", "하나", "a vowel after a final takes it into the next syllable"],
    ["ㄷㅗㅐㅈㅣ", "돼지", "two vowel keys make one vowel (ㅗ+ㅐ=ㅙ)"],
    ["ㅇㅢㅅㅏ", "의사", "ㅡ+ㅣ=ㅢ"],
    ["ㄲㅗㅊ", "꽃", "shifted double consonant as lead"],
    ["ㅏ", "ㅏ", "a lone vowel stays a letter"],
    ["ㄱㄴ", "ㄱㄴ", "two leads without a vowel stay letters"],
    ["ㅇㅏㄸ", "아ㄸ", "ㄸ is never a final: it starts a new block"],
    ["ㄱㅣㅁ ㅁㅣㄴㅈㅜ", "김 민주", "a space ends the syllable"],
    ["ㅂㅏㄹㄱㅇㅡㄴ", "밝은", "ㄹ+ㄱ=ㄺ, then ㅇ starts the next block"],
  ])("%s → %s (%s)", (typed, expected, why) => {
    expect(compose(keys(typed)), why).toBe(expected);
  });

  it("backspace undoes one jamo at a time", () => {
    const typed = keys("ㅎㅏㄴㄱㅜㄱㅇㅓ");
    const seen: string[] = [];
    for (let n = typed.length; n >= 0; n--) seen.push(compose(typed.slice(0, n)));
    expect(seen, "each backspace removes the last tap, not the whole syllable").toEqual([
      "한국어",
      "한국ㅇ",
      "한국",
      "한구",
      "한ㄱ",
      "한",
      "하",
      "ㅎ",
      "",
    ]);
  });

  it("tells jamo from other keys", () => {
    expect(["ㄱ", "ㅏ", "ㅄ"].every(isJamo), "consonants, vowels, double finals").toBe(true);
    expect(["a", " ", "-", "한", ""].some(isJamo), "no Latin, space, punctuation or syllable").toBe(false);
  });

  it.each([
    ["", "ㅎ", 0, "ㅎ"],
    ["ㅎ", "하", 1, "하"],
    ["한", "하나", 1, "하나"],
    ["한국", "한구", 1, "구"],
    ["한", "", 1, ""],
  ])("edit %s → %s is %i backspaces and %s", (before, after, back, text) => {
    expect(edit(before, after), "the fewest backspaces, then the new text").toEqual({ back, text });
  });

  it("a keyboard that only appends and backspaces types syllables and undoes jamo", () => {
    let field = "Ким ";
    const apply = (e: Edit) => (field = field.slice(0, field.length - e.back) + e.text);
    const c = new Composer();
    const seen = [..."ㅎㅏㄴㄱㅜㄱㅇㅓ"].map((k) => {
      apply(c.type(k));
      return field;
    });
    expect(seen, "the field shows each step of the composition").toEqual([
      "Ким ㅎ",
      "Ким 하",
      "Ким 한",
      "Ким 한ㄱ",
      "Ким 한구",
      "Ким 한국",
      "Ким 한국ㅇ",
      "Ким 한국어",
    ]);
    apply(c.back());
    apply(c.back());
    expect(field, "backspace undoes the last jamo, then the one before").toBe("Ким 한국");
    apply(c.type(" "));
    apply(c.type("ㅇ"));
    apply(c.type("ㅏ"));
    expect(field, "after a space, a new syllable; the old one is left alone").toBe("Ким 한국 아");
    apply(c.back());
    apply(c.back());
    apply(c.back());
    expect(field, "past the composition, backspace deletes characters").toBe("Ким 한국");
    apply(c.type("ㄱ"));
    c.reset();
    apply(c.type("ㅏ"));
    expect(field, "after a reset a vowel does not join the letters before").toBe("Ким 한국ㄱㅏ");
  });
});
