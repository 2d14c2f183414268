import { defineConfig } from "vite";
import { svelte } from "@sveltejs/vite-plugin-svelte";

// The kiosk loads the built files from the app itself (no dev server in the lobby).
export default defineConfig({
  plugins: [svelte()],
  clearScreen: false,
  build: {
    target: "safari16",
    outDir: "dist",
    emptyOutDir: true,
    // Fonts are inlined only when tiny; the rest ship as files in the app.
    assetsInlineLimit: 0,
  },
});
