// Counts the calls from wasm into JS (the glue's imports) that one createUserState makes, with
// the global fetch answering at once in this process, as the in-page bench does. Deterministic:
// the same build gives the same count. `make bench` records it; run alone with
//   node bench/crossings.mjs [glue-dir]
// It loads the package's browser build in Node, as scripts/build-pkg.sh leaves it in
// target/wasm-pack/web before shortening its names (the glue as wasm-bindgen wrote it, the
// .wasm as wasm-opt made it: the same code as pkg/'s, with readable import names), with every
// import wrapped in a counter, so nothing but the count changes.
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

const ODATA_TYPE = "#microsoft.graph.deviceManagementScriptUserState";

export async function crossings(glueDir = "target/wasm-pack/web", calls = 100) {
  // The glue as wasm-bindgen wrote it (pkg/ ships it minified), with the package's module.
  const glue = readFileSync(path.join(glueDir, "intune_script_user_state.js"), "utf8");
  const marker = "function __wbg_get_imports() {";
  if (!glue.includes(marker)) throw new Error("crossings: the glue has no __wbg_get_imports (a new wasm-bindgen?)");
  // Wrap every import function of the returned object in a counter.
  const counted = glue.replace(marker, `function __wbg_get_imports() { return globalThis.__countImports(__wbg_get_imports_real()); }\nfunction __wbg_get_imports_real() {`);
  const dir = mkdtempSync(path.join(tmpdir(), "crossings-"));
  const file = path.join(dir, "glue.mjs");
  writeFileSync(file, counted);
  const counts = new Map();
  let counting = false;
  globalThis.__countImports = (imports) => {
    for (const ns of Object.values(imports)) {
      for (const [name, f] of Object.entries(ns)) {
        if (typeof f !== "function") continue;
        const short = name.replace(/^__wbg_/, "").replace(/_[0-9a-f]{16}$/, "");
        ns[name] = function (...args) {
          if (counting) counts.set(short, (counts.get(short) ?? 0) + 1);
          return f.apply(this, args);
        };
      }
    }
    return imports;
  };
  try {
    const m = await import(pathToFileURL(file).href);
    m.initSync({ module: readFileSync(path.join(glueDir, "intune_script_user_state_bg.opt.wasm")) });
    const realFetch = globalThis.fetch;
    let n = 0;
    globalThis.fetch = async (input, init) => {
      const request = new Request(input, init);
      const id = `00000000-0000-4000-8000-${String(n++).padStart(12, "0")}`;
      return new Response(
        `{"@odata.type":"${ODATA_TYPE}","id":"${id}","successDeviceCount":1,"errorDeviceCount":0,"userPrincipalName":"stub@bench.contoso.com"}`,
        { status: 201, headers: { "request-id": id, "client-request-id": request.headers.get("client-request-id") ?? id, date: "Sun, 29 Nov 2026 12:00:00 GMT", "content-type": "application/json" } },
      );
    };
    const create = (i) => m.createUserState({
      token: "bench-token", baseUrl: "http://127.0.0.1:9", scriptId: "crossings",
      userState: { userPrincipalName: `user${i}@contoso.com`, successDeviceCount: 1, errorDeviceCount: 0 },
    });
    try {
      for (let i = 0; i < 10; i++) await create(i); // warm: one-time interning and pools
      counting = true;
      for (let i = 0; i < calls; i++) await create(i);
      counting = false;
    } finally {
      globalThis.fetch = realFetch;
    }
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    return { perCall: total / calls, byImport: [...counts].map(([k, v]) => [k, v / calls]).sort((a, b) => b[1] - a[1]) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { perCall, byImport } = await crossings(process.argv[2]);
  console.log(`wasm -> JS calls per createUserState: ${perCall}`);
  for (const [k, v] of byImport) console.log(String(v).padStart(8), k);
}
