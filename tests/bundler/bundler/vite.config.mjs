// The /bundler entry needs a plugin for the .wasm import (ESM integration).
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";
import wasm from "vite-plugin-wasm";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "./",
  logLevel: "warn",
  plugins: [wasm()],
  build: { outDir: fileURLToPath(new URL("../../../target/bundler-site/bundler", import.meta.url)), emptyOutDir: true },
});
