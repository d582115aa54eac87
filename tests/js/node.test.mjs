// The npm package from Node 20, imported the way users import it: from the packed tarball,
// by its name, with no init call.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import {
  createUserState,
  createUserStates,
  deleteUserState,
  getUserState,
  listScripts,
  listUserStatePages,
  listUserStates,
  updateUserState,
  validateUserState,
} from "intune-script-user-state";
import { MOCK, addScripts, fault, objects, requests } from "./mock.mjs";

const TOKEN = "node-token-8c2d4e6f";
const userState = { userPrincipalName: "grace@contoso.com", successDeviceCount: 3, errorDeviceCount: 1 };
const request = (scriptId, extra = {}) => ({ token: TOKEN, baseUrl: MOCK, scriptId, userState, ...extra });

function assertNoToken(err, token = TOKEN) {
  const text = JSON.stringify(Object.fromEntries(Object.getOwnPropertyNames(err).map((k) => [k, err[k]]))) + String(err);
  assert.ok(!text.includes(token), `the token leaked: ${text}`);
}

test("creates a user state from Node with no init call", async () => {
  const state = await createUserState(request("n-create"));
  assert.equal(Object.getPrototypeOf(state), Object.prototype);
  assert.equal(state["@odata.type"], "#microsoft.graph.deviceManagementScriptUserState");
  assert.equal(state.userPrincipalName, "grace@contoso.com");
  assert.equal(state.successDeviceCount, 3);
  assert.equal(state.errorDeviceCount, 1);
  assert.match(state.id, /^[0-9a-f-]{36}$/);
  const held = await objects("n-create");
  assert.deepEqual(held.map((o) => o.id), [state.id]);
  const [sent] = await requests("n-create");
  assert.equal(sent.headers.authorization, `Bearer ${TOKEN}`);
  assert.match(sent.headers["client-request-id"], /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

test("require() gets the same API", () => {
  const require = createRequire(import.meta.url);
  const cjs = require("intune-script-user-state");
  assert.equal(typeof cjs.createUserState, "function");
  assert.equal(typeof cjs.validateUserState, "function");
});

test("validation errors are real Errors naming the field, and nothing is sent", async () => {
  for (const [bad, field] of [
    [{ ...userState, successDeviceCount: "2" }, "userState.successDeviceCount"],
    [{ ...userState, errorDeviceCount: 1.5 }, "userState.errorDeviceCount"],
    [{ ...userState, userPrincipalName: "" }, "userState.userPrincipalName"],
    [{ ...userState, surprise: 1 }, "userState.surprise"],
  ]) {
    await assert.rejects(createUserState(request("n-invalid", { userState: bad })), (err) => {
      assert.ok(err instanceof Error);
      assert.equal(err.name, "ValidationError");
      assert.equal(err.field, field);
      assertNoToken(err);
      return true;
    });
  }
  await assert.rejects(createUserState(request("n-invalid", { baseUrl: "https://graph.microsoft.com.evil.example" })), { name: "ValidationError", field: "baseUrl" });
  assert.deepEqual(await requests("n-invalid"), []);
  assert.deepEqual(validateUserState(userState), []);
  assert.deepEqual(validateUserState({ ...userState, successDeviceCount: -1 }), [
    { field: "successDeviceCount", message: "must be between 0 and 2147483647" },
  ]);
});

test("a GraphError carries status, code and ids, and no token", async () => {
  await assert.rejects(createUserState(request("missing-n")), (err) => {
    assert.ok(err instanceof Error);
    assert.equal(err.name, "GraphError");
    assert.equal(err.status, 404);
    assert.equal(err.code, "ResourceNotFound");
    assert.ok(err.requestId);
    assert.match(err.clientRequestId, /^[0-9a-f-]{36}$/);
    assertNoToken(err);
    return true;
  });
});

test("429 is resent after Retry-After, 503 after commit makes one object", async () => {
  await fault({ scriptId: "n-429", op: "create", status: 429, retryAfter: "0.5" });
  const started = performance.now();
  await createUserState(request("n-429"));
  assert.ok(performance.now() - started >= 500, "resent before Retry-After");
  assert.equal((await objects("n-429")).length, 1);

  await fault({ scriptId: "n-503", op: "create", status: 503, retryAfter: "0", commit: true });
  const state = await createUserState(request("n-503"));
  const held = await objects("n-503");
  assert.deepEqual(held.map((o) => o.id), [state.id]);
});

test("a NetworkError when nothing listens, a TimeoutError when nothing answers", async () => {
  await assert.rejects(createUserState(request("n-net", { baseUrl: "http://127.0.0.1:9", maxRetries: 0 })), (err) => {
    assert.equal(err.name, "NetworkError");
    assert.match(err.clientRequestId, /^[0-9a-f-]{36}$/);
    assertNoToken(err);
    return true;
  });
  await fault({ scriptId: "n-timeout", op: "create", status: 504, delayMs: 1500 });
  await assert.rejects(createUserState(request("n-timeout", { timeoutMs: 200, maxRetries: 0 })), { name: "TimeoutError", timeoutMs: 200 });
});

test("a token function is asked again after a 401 and the call resent once", async () => {
  const tokens = ["expired-node-0001", "fresh-node-0002"];
  let calls = 0;
  await createUserState(request("n-401", { token: async () => tokens[calls++] }));
  assert.equal(calls, 2);
  const sent = await requests("n-401");
  assert.deepEqual(sent.map((r) => r.headers.authorization), tokens.map((t) => `Bearer ${t}`));
});

test("an AbortSignal stops a call that is waiting", async () => {
  await fault({ scriptId: "n-abort", status: 429, retryAfter: "30" });
  const started = performance.now();
  await assert.rejects(createUserState(request("n-abort", { signal: AbortSignal.timeout(300) })), { name: "AbortError" });
  assert.ok(performance.now() - started < 5000);
});

test("a bulk import from Node: faults, exactly once, progress", async () => {
  const scriptId = "n-bulk";
  const rules = [];
  for (let g = 0; g < 40; g++) {
    rules.push({ scriptId, op: "create", times: 6 }, { scriptId, op: "create", status: 429, retryAfter: "0" });
    if (g % 4 === 0) rules.push({ scriptId, op: "create", status: 503, commit: true });
  }
  await fault(rules);
  const userStates = Array.from({ length: 250 }, (_, i) => ({ userPrincipalName: `bulk${i}@contoso.com`, successDeviceCount: i % 4, errorDeviceCount: 0 }));
  userStates.push({ userPrincipalName: "", successDeviceCount: 0, errorDeviceCount: 0 });
  const seen = [];
  const out = await createUserStates({ token: TOKEN, baseUrl: MOCK, scriptId, userStates, onProgress: (p) => seen.push(p) });
  assert.equal(out.succeeded, 250);
  assert.equal(out.failed, 1);
  assert.ok(out.throttled >= 30);
  assert.equal(out.results[250].error.name, "ValidationError");
  assert.equal(out.results[250].error.field, "userStates[250].userPrincipalName");
  out.results.slice(0, 250).forEach((r, i) => assert.equal(r.userState.userPrincipalName, `bulk${i}@contoso.com`));
  const held = await objects(scriptId);
  assert.equal(held.length, 250);
  assert.equal(new Set(held.map((o) => o.userPrincipalName)).size, 250);
  assert.deepEqual(seen.at(-1), { done: 251, total: 251, succeeded: 250, failed: 1 });
});

test("list, page, get, update and delete from Node", async () => {
  const scriptId = "n-resource";
  const created = [];
  for (let i = 0; i < 5; i++) {
    created.push(await createUserState(request(scriptId, { userState: { ...userState, userPrincipalName: `r${i}@contoso.com` } })));
  }
  const all = await listUserStates({ token: TOKEN, baseUrl: MOCK, scriptId, top: 2 });
  assert.deepEqual(all.map((s) => s.id), created.map((s) => s.id));
  const pages = [];
  for await (const page of listUserStatePages({ token: TOKEN, baseUrl: MOCK, scriptId, top: 2 })) pages.push(page.length);
  assert.deepEqual(pages, [2, 2, 1]);
  const ref = { token: TOKEN, baseUrl: MOCK, scriptId, userStateId: created[0].id };
  assert.equal((await getUserState(ref)).userPrincipalName, "r0@contoso.com");
  assert.equal(await updateUserState({ ...ref, changes: { errorDeviceCount: 9 } }), null);
  assert.equal((await getUserState(ref)).errorDeviceCount, 9);
  assert.equal(await deleteUserState(ref), undefined);
  await assert.rejects(getUserState(ref), { name: "GraphError", status: 404 });
  assert.equal((await objects(scriptId)).length, 4);
});

test("listScripts from Node: every script of the kind by name; onResponse sees each answer's ids", async () => {
  await addScripts([
    { scriptKind: "deviceShellScripts", id: "n-mac-1", displayName: "Rosetta check" },
    { scriptKind: "deviceShellScripts", id: "n-mac-2", displayName: "Dock layout" },
  ]);
  const seen = [];
  const scripts = await listScripts({ token: TOKEN, baseUrl: MOCK, scriptKind: "deviceShellScripts", onResponse: (r) => seen.push(r) });
  const ours = scripts.filter((s) => s.id.startsWith("n-mac-"));
  assert.deepEqual(ours.map((s) => s.displayName), ["Rosetta check", "Dock layout"]);
  assert.ok(ours.every((s) => !("scriptContent" in s)));
  assert.equal(seen.length, 1);
  assert.deepEqual(Object.keys(seen[0]).sort(), ["clientRequestId", "requestId", "status"]);
  assert.equal(seen[0].status, 200);
  assert.match(seen[0].requestId, /^[0-9a-f-]{36}$/);
  const created = await createUserState(request("n-answers", { onResponse: (r) => seen.push(r) }));
  const [logged] = await requests("n-answers");
  assert.equal(seen[1].requestId, logged.requestId);
  assert.equal(seen[1].clientRequestId, logged.headers["client-request-id"]);
  assert.ok(created.id);
  await assert.rejects(listScripts({ token: TOKEN, baseUrl: MOCK, scriptId: "x" }), { name: "ValidationError", field: "scriptId" });
});
