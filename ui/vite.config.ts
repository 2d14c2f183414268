/// <reference types="vitest/config" />
import { defineConfig, type Plugin } from "vite";
import { svelte } from "@sveltejs/vite-plugin-svelte";

// The faces the home screen's first paint needs (Latin: the default language
// is English). Preloaded, they are fetched with the stylesheet and script
// instead of after the first style pass, and the first paint is in them.
const FIRST_PAINT_FONTS = [
  /noto-sans-latin-400-normal-.*\.woff2$/,
  /noto-sans-latin-600-normal-.*\.woff2$/,
  /noto-serif-latin-600-normal-.*\.woff2$/,
  // The language switch names Қазақша and Русский in their own script.
  /noto-sans-cyrillic-600-normal-.*\.woff2$/,
  /noto-sans-cyrillic-ext-600-normal-.*\.woff2$/,
];

function preloadFirstPaintFonts(): Plugin {
  return {
    name: "preload-first-paint-fonts",
    apply: "build",
    transformIndexHtml: {
      order: "post",
      handler(_html, ctx) {
        const files = Object.keys(ctx.bundle ?? {});
        return FIRST_PAINT_FONTS.map((pattern) => {
          const file = files.find((f) => pattern.test(f));
          if (!file) throw new Error(`no built font matches ${pattern}`);
          return {
            tag: "link",
            attrs: { rel: "preload", href: `/${file}`, as: "font", type: "font/woff2", crossorigin: "" },
            injectTo: "head" as const,
          };
        });
      },
    },
  };
}

// The kiosk loads the built files from the app itself (no dev server in the lobby).
export default defineConfig({
  plugins: [svelte(), preloadFirstPaintFonts()],
  clearScreen: false,
  build: {
    target: "safari16",
    outDir: "dist",
    emptyOutDir: true,
    // Fonts are inlined only when tiny; the rest ship as files in the app.
    assetsInlineLimit: 0,
  },
  // Unit tests of the pure modules (`npm test`); they need no DOM, so none is installed.
  test: {
    include: ["src/**/*.test.ts", "studio/**/*.test.ts"],
    environment: "node",
  },
});
