//! The TypeScript types of the read side of run states (issue 20), kept apart from the
//! other blocks.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_DEVICE_TYPES: &str = r##"
/** The run states Graph documents; the service may add others, which are kept as text. */
export type RunState = "unknown" | "success" | "fail" | "scriptError" | "pending" | "notApplicable";

export interface ListDeviceRunStatesRequest extends CallOptions {
  scriptId: string;
  /** Only this user state's devices (…/userRunStates/{userStateId}/deviceRunStates); else every device of the script. */
  userStateId?: string;
  /** Page size ($top), 1 to 999. */
  top?: number;
  /** An OData $filter, sent as given (Graph documents none here: filter on your side too). */
  filter?: string;
  /** Ask for each device's id, deviceName, operatingSystem and userPrincipalName ($expand). Default true. */
  device?: boolean;
}

export interface RunSummaryRequest extends CallOptions {
  scriptId: string;
}

/** The device a run state is about, as far as listDeviceRunStates asks for it. */
export interface ManagedDeviceSummary {
  id: string | null;
  deviceName: string | null;
  operatingSystem: string | null;
  userPrincipalName: string | null;
  [property: string]: unknown;
}

/** One device's run of a script, as the service returned it, with any fields it added. */
export interface DeviceManagementScriptDeviceState {
  "@odata.type"?: string;
  id: string;
  runState?: RunState | (string & {}) | null;
  /** The script's output. */
  resultMessage?: string | null;
  /** ISO 8601, as the service sent it. */
  lastStateUpdateDateTime?: string | null;
  /** Int32. */
  errorCode?: number | null;
  errorDescription?: string | null;
  /** With `device` (the default): the device, or null when it is gone. Absent with `device: false`. */
  managedDevice?: ManagedDeviceSummary | null;
  [property: string]: unknown;
}

/** A script's run summary, as the service returned it. */
export interface DeviceManagementScriptRunSummary {
  "@odata.type"?: string;
  id?: string | null;
  successDeviceCount?: number | null;
  errorDeviceCount?: number | null;
  successUserCount?: number | null;
  errorUserCount?: number | null;
  [property: string]: unknown;
}

/** Pages of device run states: `for await (const page of listDeviceRunStatePages(...))`. */
export interface DeviceRunStatePages extends AsyncIterable<DeviceManagementScriptDeviceState[]> {
  /** The next page, then `{ value: undefined, done: true }` after the last. */
  next(): Promise<IteratorResult<DeviceManagementScriptDeviceState[], undefined>>;
  free(): void;
}
"##;
