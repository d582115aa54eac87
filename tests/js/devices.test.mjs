// listDeviceRunStates, listDeviceRunStatePages and getRunSummary (issue 20) from Node, the
// package imported by its name, against graph-mock seeded through its control API.
import { test } from "node:test";
import assert from "node:assert/strict";
import { getRunSummary, listDeviceRunStatePages, listDeviceRunStates } from "intune-script-user-state";
import { MOCK, config, fault, requests, stats } from "./mock.mjs";

const TOKEN = "node-token-devices-5e1a";
const call = (scriptId, extra = {}) => ({ token: TOKEN, baseUrl: MOCK, scriptId, ...extra });

async function control(path, body) {
  const r = await fetch(MOCK + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  assert.equal(r.status, 201, `${path}: ${r.status}`);
  return r.json();
}

const devices = (user, n, runState) =>
  Array.from({ length: n }, (_, i) => ({
    id: `${user}-${i}`,
    runState,
    resultMessage: `out ${user} ${i}`,
    errorCode: i,
    managedDevice: { deviceName: `${user}-PC-${i}`, operatingSystem: "Windows", userPrincipalName: `${user}@contoso.com`, serialNumber: `SN${i}` },
  }));

/** ada with `n` successful devices, bob with two failed ones; returns ada's user state id. */
async function seed(scriptId, n, scriptKind = "deviceManagementScripts") {
  const [ada] = await control("/_mock/objects", [
    { scriptId, scriptKind, userPrincipalName: "ada@contoso.com", deviceRunStates: devices("ada", n, "success") },
    { scriptId, scriptKind, userPrincipalName: "bob@contoso.com", deviceRunStates: devices("bob", 2, "fail") },
  ]);
  return ada.id;
}

const gets = async (scriptId) => (await requests(scriptId)).filter((r) => r.method === "GET");

test("every device of a script and of one user, across pages, with the device", async () => {
  const scriptId = "n-dev-pages";
  const ada = await seed(scriptId, 5);
  const all = await listDeviceRunStates(call(scriptId, { top: 3 }));
  assert.deepEqual(all.map((s) => s.id).sort(), ["ada-0", "ada-1", "ada-2", "ada-3", "ada-4", "bob-0", "bob-1"]);
  assert.equal(Object.getPrototypeOf(all[0]), Object.prototype);
  const one = all.find((s) => s.id === "ada-2");
  assert.equal(one.runState, "success");
  assert.equal(one.resultMessage, "out ada 2");
  assert.equal(one.errorCode, 2);
  assert.deepEqual(Object.keys(one.managedDevice).sort(), ["deviceName", "id", "operatingSystem", "userPrincipalName"]);
  assert.equal(one.managedDevice.deviceName, "ada-PC-2");
  assert.equal((await gets(scriptId)).length, 3);

  const pages = [];
  for await (const page of listDeviceRunStatePages(call(scriptId, { userStateId: ada, top: 2 }))) pages.push(page.map((s) => s.id));
  assert.deepEqual(pages, [["ada-0", "ada-1"], ["ada-2", "ada-3"], ["ada-4"]]);
  const sent = await gets(scriptId);
  assert.equal(sent.at(-3).path, `/beta/deviceManagement/deviceManagementScripts/${scriptId}/userRunStates/${ada}/deviceRunStates`);
  assert.match(decodeURIComponent(sent.at(-3).query), /\$expand=managedDevice\(\$select=id,deviceName,operatingSystem,userPrincipalName\)/);
});

test("without the device, every kind, and the run summary", async () => {
  const scriptId = "n-dev-plain";
  await seed(scriptId, 3);
  const plain = await listDeviceRunStates(call(scriptId, { device: false }));
  assert.equal(plain.length, 5);
  assert.ok(plain.every((s) => !("managedDevice" in s)));
  assert.ok(!(await gets(scriptId))[0].query.includes("expand"));
  const summary = await getRunSummary(call(scriptId));
  assert.equal(Object.getPrototypeOf(summary), Object.prototype);
  assert.equal(summary.id, scriptId);
  assert.deepEqual(
    [summary.successDeviceCount, summary.errorDeviceCount, summary.successUserCount, summary.errorUserCount],
    [3, 2, 1, 1],
  );
  const mac = "n-dev-mac";
  const ada = await seed(mac, 2, "deviceShellScripts");
  const macs = await listDeviceRunStates(call(mac, { scriptKind: "deviceShellScripts", userStateId: ada }));
  assert.deepEqual(macs.map((s) => s.id), ["ada-0", "ada-1"]);
  assert.equal((await getRunSummary(call(mac, { scriptKind: "deviceShellScripts" }))).successDeviceCount, 2);
});

test("faults are retried as for listUserStates; a foreign nextLink is refused", async () => {
  const scriptId = "n-dev-faults";
  await seed(scriptId, 2);
  await fault([
    { scriptId, op: "devices", status: 429, retryAfter: "0" },
    { scriptId, op: "devices", status: 503, retryAfter: "0" },
    { scriptId, op: "summary", status: 429, retryAfter: "0" },
  ]);
  assert.equal((await listDeviceRunStates(call(scriptId))).length, 4);
  assert.equal((await getRunSummary(call(scriptId))).errorDeviceCount, 2);
  // The three faults were met (and so retried), not left unmatched.
  assert.equal((await stats(scriptId)).faults, 3);
  await fault({ scriptId, op: "summary", status: 503, retryAfter: "0" });
  await assert.rejects(getRunSummary(call(scriptId, { maxRetries: 0 })), { name: "GraphError", status: 503 });

  const before = await config({ nextLinkOrigin: "https://evil.example" });
  try {
    await assert.rejects(listDeviceRunStates(call(scriptId, { top: 1 })), (err) => {
      assert.equal(err.name, "GraphError");
      assert.equal(err.code, "invalidResponse");
      assert.match(err.message, /another host/);
      return true;
    });
    const iter = listDeviceRunStatePages(call(scriptId, { top: 1 }));
    await assert.rejects(iter.next(), { name: "GraphError", code: "invalidResponse" });
  } finally {
    await config({ nextLinkOrigin: before.nextLinkOrigin ?? null });
  }
});

test("an unknown runState is kept; a wrong type is an invalidResponse GraphError", async () => {
  const scriptId = "n-dev-values";
  await control("/_mock/deviceRunStates", [{ scriptId, id: "new", runState: "someNewValue" }]);
  const [state] = await listDeviceRunStates(call(scriptId));
  assert.equal(state.runState, "someNewValue");
  await control("/_mock/deviceRunStates", { scriptId, id: "bad", errorCode: "0x80070002" });
  await assert.rejects(listDeviceRunStates(call(scriptId)), (err) => {
    assert.ok(err instanceof Error);
    assert.equal(err.name, "GraphError");
    assert.equal(err.code, "invalidResponse");
    assert.equal(err.status, 200);
    assert.match(err.message, /errorCode is not an Int32/);
    assert.ok(!JSON.stringify(err).includes(TOKEN));
    return true;
  });
  assert.throws(() => listDeviceRunStatePages(call(scriptId, { device: "yes" })), { name: "ValidationError", field: "device" });
  await assert.rejects(getRunSummary(call(scriptId, { userStateId: "u" })), { name: "ValidationError", field: "userStateId" });
});
