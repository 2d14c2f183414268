import { describe, expect, it } from "vitest";
import { applyTheme } from "./theme";

describe("the theme", () => {
  it("sets the bundle's colours as the custom properties the styles draw with, and the page's language and direction", () => {
    const props = new Map<string, string>();
    const root = { style: { setProperty: (name: string, value: string) => void props.set(name, value) }, lang: "en", dir: "ltr" };
    applyTheme(root, { primary: "#00afca", accent: "#fec50c", background: "#fbfaf6", text: "#1b1b1b" }, "ar", "rtl");
    expect(Object.fromEntries(props)).toEqual({
      "--primary": "#00afca",
      "--accent": "#fec50c",
      "--background": "#fbfaf6",
      "--text": "#1b1b1b",
    });
    expect(root.lang).toBe("ar");
    expect(root.dir, "a right-to-left language mirrors the page").toBe("rtl");
  });
});
