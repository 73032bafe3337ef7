"""incrementer-python: Digital Rebar's incrementer provider in Python (twin of the Rust incrementer).

`provider: true` in the manifest builds it against the `provider` world:
it exports `paddock:rebar/provider` (this module's `Provider` class) and
imports the host's scoped object store and event bus. Module globals live
as long as the instance: from its first config until stop.
"""

import json

from componentize_py_types import Err
from wit_world import exports
from wit_world.imports import events, logging, objects
from wit_world.imports.types import (
    ActionSpec,
    ConfigParam,
    ParamSpec,
    ParamType,
    ProviderDefinition,
    ProviderError,
)

STEP = "incrementer/step"
PARAMETER = "incrementer/parameter"
COUNTERS = "counters"

state = {"step": 1, "parameter": "incrementer/count", "machine_updates": 0, "increments": 0}


def fail(message, param=None):
    raise Err(ProviderError(message=message, param=param))


def params_of(params):
    return {param.name: json.loads(param.value) for param in params}


class Provider(exports.Provider):
    def define(self):
        return ProviderDefinition(
            name="incrementer-python",
            version="0.2.0",
            actions=[
                ActionSpec(
                    command="increment",
                    object_type="machines",
                    required_params=[],
                    optional_params=[
                        ParamSpec(name=STEP, type=ParamType.INTEGER, description="how much to add"),
                        ParamSpec(name=PARAMETER, type=ParamType.STRING, description="the parameter to count in"),
                    ],
                ),
                ActionSpec(command="status", object_type="plugins", required_params=[], optional_params=[]),
            ],
            config_params=[
                ConfigParam(name=STEP, type=ParamType.INTEGER, default="1", description="the default step"),
            ],
            event_selectors=["machines.update.*"],
            object_types=[COUNTERS],
            content=[],
        )

    def config(self, params):
        values = params_of(params)
        step = values.get(STEP, 1)
        if step == 0:
            fail("must not be 0: increment would change nothing", STEP)
        state["step"] = step
        logging.log(logging.Level.INFO, f"configured: step {step}")

    def validate(self):
        return json.dumps({"store": "host", "language": "python"})

    def action(self, request):
        values = params_of(request.params)
        if (request.command, request.object_type) == ("status", "plugins"):
            return json.dumps(state)
        if (request.command, request.object_type) != ("increment", "machines"):
            fail(f"no action {request.command} on {request.object_type}")
        parameter = values.get(PARAMETER, state["parameter"])
        step = values.get(STEP, state["step"])
        key = f"{request.object_key}/{parameter}"
        current = objects.get(COUNTERS, key)
        if current is None:
            value = step
            objects.create(COUNTERS, key, json.dumps({"value": value}))
        else:
            value = json.loads(current)["value"] + step
            objects.update(COUNTERS, key, json.dumps({"value": value}))
        state["increments"] += 1
        result = {"machine": request.object_key, "parameter": parameter, "value": value}
        events.publish(COUNTERS, "update", key, json.dumps(result))
        return json.dumps(result)

    def publish(self, event):
        if event.type == "machines" and event.action == "update":
            state["machine_updates"] += 1

    def stop(self):
        logging.log(logging.Level.INFO, "stopping")
