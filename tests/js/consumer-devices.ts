// The device run states and the run summary (issue 20) as a TypeScript consumer sees them:
// `tsc --noEmit` must accept the right uses and reject the wrong ones (each @ts-expect-error
// must meet an error, or tsc fails).
import {
  getRunSummary,
  listDeviceRunStatePages,
  listDeviceRunStates,
  type DeviceManagementScriptDeviceState,
  type DeviceManagementScriptRunSummary,
  type DeviceRunStatePages,
  type ListDeviceRunStatesRequest,
  type RunState,
} from "intune-script-user-state";
import * as web from "intune-script-user-state/web";

export async function devices(signal: AbortSignal): Promise<string[]> {
  const request: ListDeviceRunStatesRequest = {
    token: async () => "t",
    scriptId: "s",
    userStateId: "u",
    top: 100,
    filter: "runState eq 'fail'",
    device: false,
    scriptKind: "deviceShellScripts",
    signal,
    onResponse: (r) => void r.status,
  };
  const all: DeviceManagementScriptDeviceState[] = await listDeviceRunStates(request);
  const names: string[] = [];
  for (const s of all) {
    const state: RunState | (string & {}) | null | undefined = s.runState;
    const code: number | null | undefined = s.errorCode;
    const name: string | null | undefined = s.managedDevice?.deviceName;
    const os: string | null | undefined = s.managedDevice?.operatingSystem;
    names.push(`${name ?? ""} ${os ?? ""} ${state ?? ""} ${code ?? ""} ${s.resultMessage ?? ""}`);
    // A known run state narrows; any other text is kept as a string.
    if (s.runState === "scriptError" || s.runState === "someNewValue") void s.lastStateUpdateDateTime;
    // @ts-expect-error errorCode is a number
    const wrong: string = s.errorCode;
    void wrong;
  }
  const pages: DeviceRunStatePages = listDeviceRunStatePages({ token: "t", scriptId: "s" });
  for await (const page of pages) names.push(...page.map((s) => s.id));
  const step = await listDeviceRunStatePages({ token: "t", scriptId: "s" }).next();
  if (!step.done) void step.value[0]?.errorDescription;
  const summary: DeviceManagementScriptRunSummary = await getRunSummary({ token: "t", scriptId: "s", cloud: "china" });
  const counts: (number | null | undefined)[] = [summary.successDeviceCount, summary.errorDeviceCount, summary.successUserCount, summary.errorUserCount];
  void counts;
  // @ts-expect-error scriptId is required
  await listDeviceRunStates({ token: "t" });
  // @ts-expect-error device is a boolean
  await listDeviceRunStates({ token: "t", scriptId: "s", device: "yes" });
  // @ts-expect-error the summary takes no userStateId
  await getRunSummary({ token: "t", scriptId: "s", userStateId: "u" });
  // The browser entry has the same three.
  const fromWeb: DeviceManagementScriptDeviceState[] = await web.listDeviceRunStates({ token: "t", scriptId: "s" });
  void [fromWeb, web.getRunSummary, web.listDeviceRunStatePages];
  return names;
}
