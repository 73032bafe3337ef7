// incrementer-js: Digital Rebar's incrementer provider in JavaScript (twin
// of the Rust incrementer and incrementer-python).
//
// `provider: true` in the manifest builds it against the `provider` world:
// it exports `paddock:rebar/provider` (the `provider` object below) and
// imports the host's scoped object store and event bus. Module state lives
// as long as the instance: from its first config until stop.

import { log } from "paddock:common/logging@0.2.0";
import { create, get, update } from "paddock:rebar/objects@0.2.0";
import { publish } from "paddock:rebar/events@0.2.0";

const STEP = "incrementer/step";
const PARAMETER = "incrementer/parameter";
const COUNTERS = "counters";

const state = { step: 1, parameter: "incrementer/count", machine_updates: 0, increments: 0 };

// componentize-js lowers a thrown value's `payload` as the call's error.
function fail(message, param) {
  throw { payload: { message, param } };
}

function paramsOf(params) {
  return Object.fromEntries(params.map(({ name, value }) => [name, JSON.parse(value)]));
}

export const provider = {
  define() {
    return {
      name: "incrementer-js",
      version: "0.2.0",
      actions: [
        {
          command: "increment",
          objectType: "machines",
          requiredParams: [],
          optionalParams: [
            { name: STEP, type: "integer", description: "how much to add" },
            { name: PARAMETER, type: "string", description: "the parameter to count in" },
          ],
        },
        { command: "status", objectType: "plugins", requiredParams: [], optionalParams: [] },
      ],
      configParams: [{ name: STEP, type: "integer", default: "1", description: "the default step" }],
      eventSelectors: ["machines.update.*"],
      objectTypes: [COUNTERS],
      content: [],
    };
  },

  config(params) {
    const step = paramsOf(params)[STEP] ?? 1;
    if (step === 0) fail("must not be 0: increment would change nothing", STEP);
    state.step = step;
    log("info", `configured: step ${step}`);
  },

  validate() {
    return JSON.stringify({ store: "host", language: "javascript" });
  },

  action(request) {
    const values = paramsOf(request.params);
    if (request.command === "status" && request.objectType === "plugins") return JSON.stringify(state);
    if (request.command !== "increment" || request.objectType !== "machines") {
      fail(`no action ${request.command} on ${request.objectType}`);
    }
    const parameter = values[PARAMETER] ?? state.parameter;
    const step = values[STEP] ?? state.step;
    const key = `${request.objectKey}/${parameter}`;
    const current = get(COUNTERS, key);
    let value;
    if (current === undefined || current === null) {
      value = step;
      create(COUNTERS, key, JSON.stringify({ value }));
    } else {
      value = JSON.parse(current).value + step;
      update(COUNTERS, key, JSON.stringify({ value }));
    }
    state.increments += 1;
    const result = JSON.stringify({ machine: request.objectKey, parameter, value });
    publish(COUNTERS, "update", key, result);
    return result;
  },

  publish(event) {
    if (event.type === "machines" && event.action === "update") state.machine_updates += 1;
  },

  stop() {
    log("info", "stopping");
  },
};
