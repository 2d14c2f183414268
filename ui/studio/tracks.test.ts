import { describe, expect, it } from "vitest";
import { slug, titleFromFile, trackId } from "./tracks";

describe("new track ids", () => {
  it("are a lower-case slug of the file name", () => {
    expect(slug("Mozart – Eine kleine Nachtmusik.ogg")).toBe("mozart-eine-kleine-nachtmusik");
    expect(slug("Dombra Ballad (live) .FLAC"), "brackets, spaces and the extension go").toBe("dombra-ballad-live");
    expect(slug("Café Señor.oga"), "accents are dropped, not the letters").toBe("cafe-senor");
  });

  it("never collide with an existing track", () => {
    expect(trackId("anthem.ogg", ["anthem"]), "a taken id gets a number").toBe("anthem-2");
    expect(trackId("anthem.ogg", ["anthem", "anthem-2"])).toBe("anthem-3");
    expect(trackId("anthem.ogg", []), "a free id is kept").toBe("anthem");
  });

  it("fall back to `track` when the name has no Latin letters", () => {
    expect(trackId("Гимн.ogg", []), "a Cyrillic name still gives a usable id").toBe("track");
    expect(trackId("Әнұран.flac", ["track"])).toBe("track-2");
  });

  it("start with the file name as title", () => {
    expect(titleFromFile("Күй Адай.ogg"), "the title keeps the name as written").toBe("Күй Адай");
    expect(titleFromFile("a.b.flac"), "only the last extension goes").toBe("a.b");
  });
});
