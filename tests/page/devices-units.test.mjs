// The devices view's pure module (www/js/devices-report.js) in Node: the run-state filter and
// counts, how a state reads (time, error code, folded output), the export and its file name.
import { test } from "node:test";
import assert from "node:assert/strict";
import { OTHER, devicesCsv, devicesExportName, errorCodeText, foldOutput, runStateCounts, runStateText, shownDevices, summaryFigures, timeText } from "../../www/js/devices-report.js";
import { splitCsv } from "./helpers.mjs";

const states = [
  { id: "a", runState: "success" },
  { id: "b", runState: "fail" },
  { id: "c", runState: "someNewValue" },
  { id: "d", runState: null },
  { id: "e", runState: "fail" },
];

test("the run-state filter keeps the read order; Other is everything the enum does not name", () => {
  assert.equal(shownDevices(states, ""), states);
  assert.deepEqual(shownDevices(states, "fail").map((s) => s.id), ["b", "e"]);
  assert.deepEqual(shownDevices(states, OTHER).map((s) => s.id), ["c", "d"]);
  assert.deepEqual(runStateCounts(states), { success: 1, fail: 2, scriptError: 0, pending: 0, notApplicable: 0, unknown: 0, other: 2 });
  assert.equal(runStateText("scriptError"), "Script error");
  assert.equal(runStateText("someNewValue"), "someNewValue");
  assert.equal(runStateText(null), "(none)");
});

test("times, error codes and folded output", () => {
  assert.equal(timeText("2026-12-07T03:04:05.1234567Z"), "2026-12-07 03:04:05 UTC");
  assert.equal(timeText("2026-12-07T04:04:05+01:00"), "2026-12-07 03:04:05 UTC");
  assert.equal(timeText("not a time"), "not a time");
  assert.equal(timeText(null), "");
  assert.equal(errorCodeText(0), "0");
  assert.equal(errorCodeText(-2147024894), "-2147024894 (0x80070002)");
  assert.equal(errorCodeText(1), "1 (0x00000001)");
  assert.equal(errorCodeText(null), "");
  assert.deepEqual(foldOutput("short"), { fold: false, short: "short" });
  assert.deepEqual(foldOutput("a\nb\nc"), { fold: false, short: "a\nb\nc" });
  assert.deepEqual(foldOutput("a\nb\nc\nd"), { fold: true, short: "a … (4 lines, 7 characters)" });
  const wide = "x".repeat(200);
  assert.equal(foldOutput(wide).short, `${"x".repeat(80)}… … (1 line, 200 characters)`);
  assert.deepEqual(foldOutput(null), { fold: false, short: "" });
});

test("the export: what is shown, every cell defused and quoted as the page's other CSVs", () => {
  const csv = devicesCsv(
    [
      { runState: "fail", errorCode: -1, resultMessage: '=1+1, "x"\ny', managedDevice: { deviceName: "PC", operatingSystem: "Windows", userPrincipalName: "dev@x.com" } },
      { runState: "success", managedDevice: null },
    ],
    null,
  );
  assert.deepEqual(splitCsv(csv), [
    ["userPrincipalName", "deviceName", "operatingSystem", "runState", "lastStateUpdateDateTime", "errorCode", "errorDescription", "resultMessage"],
    ["dev@x.com", "PC", "Windows", "fail", "", "-1", "", `'=1+1, "x"\ny`],
    ["", "", "", "success", "", "", "", ""],
  ]);
  assert.equal(splitCsv(devicesCsv([{ managedDevice: { userPrincipalName: "device-user@x.com" } }], "ada@x.com"))[1][0], "ada@x.com");
  assert.equal(devicesExportName("s/1"), "s-1-devices.csv");
  assert.equal(devicesExportName("s", "ada@contoso.com"), "s-ada@contoso.com-devices.csv");
  assert.deepEqual(summaryFigures({ successDeviceCount: 3, errorDeviceCount: 0, successUserCount: "2" }), { successDevices: 3, errorDevices: 0, successUsers: null, errorUsers: null });
});
