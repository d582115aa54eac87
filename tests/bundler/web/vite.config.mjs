// Default entry: no plugin. `vite build` needs nothing but where to write the site; the dev
// server (`vite`) needs the package kept out of its dependency pre-bundling, which moves the glue
// into node_modules/.vite/deps/ where `new URL("…_bg.wasm", import.meta.url)` finds no .wasm
// (vitejs/vite#8427: the page gets index.html instead, "expected magic word 00 61 73 6d").
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "./",
  logLevel: "warn",
  optimizeDeps: { exclude: ["intune-script-user-state"] },
  build: { outDir: fileURLToPath(new URL("../../../target/bundler-site/web", import.meta.url)), emptyOutDir: true },
});
