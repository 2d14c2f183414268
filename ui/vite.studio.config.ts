import { defineConfig } from "vite";
import { svelte } from "@sveltejs/vite-plugin-svelte";

// The content studio's page (`kioskctl studio`), built beside the kiosk's UI
// and served by the studio's own server. The preview shim gets a fixed name:
// the server inserts it into the kiosk's index.html for the preview frame.
export default defineConfig({
  plugins: [svelte()],
  clearScreen: false,
  build: {
    target: "es2022",
    outDir: "dist-studio",
    emptyOutDir: true,
    assetsDir: "studio-assets",
    rollupOptions: {
      input: { studio: "studio.html", "preview-shim": "studio/preview-shim.ts" },
      output: { entryFileNames: "studio-assets/[name].js" },
    },
  },
});
