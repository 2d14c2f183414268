import { describe, expect, it } from "vitest";
import { applyTheme } from "./theme";

describe("the theme", () => {
  it("sets the bundle's colours as the custom properties the styles draw with, and the page's language", () => {
    const props = new Map<string, string>();
    const root = { style: { setProperty: (name: string, value: string) => void props.set(name, value) }, lang: "en" };
    applyTheme(root, { primary: "#00afca", accent: "#fec50c", background: "#fbfaf6", text: "#1b1b1b" }, "kk");
    expect(Object.fromEntries(props)).toEqual({
      "--primary": "#00afca",
      "--accent": "#fec50c",
      "--background": "#fbfaf6",
      "--text": "#1b1b1b",
    });
    expect(root.lang).toBe("kk");
  });
});
