// Paddock guest SDK for JavaScript.
//
// Write a Paddock plugin in JavaScript, in `plugin.js`. The plugin's manifest
// picks the contract it is built against, and with it the API:
//
// 0.2 (the manifest declares `hooks: [dockerfile-injection, ...]`): pass the
// hooks to `defineHooks` and export each one it returns under its name; the
// component exports exactly those hooks and the host skips the others
// without running the plugin.
//
//     import { defineHooks, log } from "./paddock-guest.js";
//
//     export const { jobRuntimeEnvVars } = defineHooks({
//       jobRuntimeEnvVars(plugin, deployment) {
//         log.info(`adding vars for ${deployment.jobName}`);
//         return [["LOG_LEVEL", plugin.text("log_level", "info")]];
//       },
//     });
//
// 0.1.0 (no `hooks:`): `export const hooks = definePlugin({...})` with the
// hooks it provides, each taking a `Context`; the others report "not
// implemented", which the host shows as skipped.
//
// What each hook returns:
//   deploy, destroy        -> 0.1.0: report(summary, details)  ({ summary, details });
//                             0.2: plan(summary, { details, resources })
//   preHook, postHook      -> plan(summary, { details, resources })
//   postJobDeploy, postJobDelete -> report(summary, details)
//   dockerfileInjection    -> array of strings, one Dockerfile instruction each
//   bootstrapInjection     -> a shell script string, or undefined for none
//   jobRuntimeEnvVars      -> array of [name, value] pairs
//
// To fail a hook, `throw new HookFailed("what went wrong")` (or call
// `fail(...)`): the host reports the message with the plugin's name, version
// and the hook. Any other exception escaping a hook fails it too, with the
// error's name and message. `skip()` declines one call (shown as skipped).
//
// `paddock bundle` copies this file next to the plugin's sources before
// building, so plugins import it as "./paddock-guest.js", together with
// `paddock-world.js`, which it writes for the world the manifest picks: the
// world's logging import and the hooks it exports (an ES module cannot
// import conditionally, and the two worlds' logging interfaces differ).

import { WORLD_EXPORTS, log as hostLog } from "./paddock-world.js";

// The hooks of paddock:plugin@0.1.0, as `definePlugin` keys. (A 0.2 world
// says itself what it exports: `WORLD_EXPORTS`, made from `hooks:`.)
const HOOK_NAMES = ["deploy", "destroy", "dockerfileInjection", "bootstrapInjection", "jobRuntimeEnvVars"];

/** `job-runtime-env-vars` -> `jobRuntimeEnvVars`. */
const camelCase = (name) => name.replace(/-([a-z0-9])/g, (_, letter) => letter.toUpperCase());

/** `jobRuntimeEnvVars` -> `job-runtime-env-vars`. */
const kebabCase = (name) => name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);

/** `paddock:racetrack/job-runtime-env-vars@0.2.0` -> `jobRuntimeEnvVars`: the export componentize-js looks it up by. */
const exportName = (iface) => camelCase(iface.split("@")[0].split("/").pop());

/** Throw to fail a hook; the message reaches the operator. */
export class HookFailed extends Error {
  constructor(message) {
    super(String(message));
    this.name = "HookFailed";
    // componentize-js lowers a thrown value's `payload` as the hook's error.
    this.payload = { tag: "failed", val: String(message) };
  }
}

/** Fails the current hook with `message`. */
export function fail(message) {
  throw new HookFailed(message);
}

/** The error value for "this plugin does not implement the hook" (shown as skipped). */
export const NOT_IMPLEMENTED = Object.freeze({ tag: "not-implemented" });

/** Declines the current call: the host reports the hook as skipped, not failed. */
export function skip() {
  throw NOT_IMPLEMENTED;
}

/**
 * An action report (0.1.0 deploy/destroy; 0.2 postJobDeploy/postJobDelete):
 * a one-line summary and ordered
 * key/value details (an array of [key, value] pairs, or an object in
 * insertion order).
 */
export function report(summary, details = []) {
  return { summary: String(summary), details: toPairs(details) };
}

/** `pairs` (an array of [key, value] pairs, or an object in insertion order) as string pairs. */
function toPairs(pairs) {
  const entries = Array.isArray(pairs) ? pairs : Object.entries(pairs ?? {});
  return entries.map(([key, value]) => [String(key), String(value)]);
}

/** The `desired-resource` cases, by the record each one carries. */
const RESOURCE_TAGS = ["kubernetes", "helm", "cloudformation", "container"];

/**
 * A resource plan, what deploy, destroy, preHook and postHook return: a
 * one-line summary, ordered key/value details and the resources to create
 * (deploy, pre) or remove (destroy, post), in order, each made with
 * `cloudformationStack`, `helmRelease`, `kubernetes` or `containerRun`.
 *
 *     return plan(`create stack ${name}`, { resources: [cloudformationStack({ stackName: name, templatePath })] });
 */
export function plan(summary, { details = [], resources = [] } = {}) {
  for (const resource of resources) {
    if (resource === null || typeof resource !== "object" || !RESOURCE_TAGS.includes(resource.tag)) {
      throw new TypeError(
        `${JSON.stringify(resource)} is not a resource; make one with cloudformationStack(), helmRelease(), kubernetes() or containerRun()`,
      );
    }
  }
  return { summary: String(summary), details: toPairs(details), resources: [...resources] };
}

/**
 * A CloudFormation stack from a template shipped in the bundle
 * (`templatePath` below its `files/`), with ordered template parameters
 * (pairs or an object). The stack's record is `.val`.
 */
export function cloudformationStack({ stackName, templatePath, parameters = [] }) {
  return {
    tag: "cloudformation",
    val: { stackName: String(stackName), templatePath: String(templatePath), parameters: toPairs(parameters) },
  };
}

/** A Helm release of the chart in `chartDir` below the bundle's `files/`, with values as a YAML mapping. */
export function helmRelease({ releaseName, namespace, chartDir, valuesYaml = "" }) {
  return {
    tag: "helm",
    val: {
      releaseName: String(releaseName),
      namespace: String(namespace),
      chartDir: String(chartDir),
      valuesYaml: String(valuesYaml),
    },
  };
}

/** Kubernetes manifests: one or more YAML documents. */
export function kubernetes(yaml) {
  return { tag: "kubernetes", val: String(yaml) };
}

/**
 * A container run on a single host: name, image, command (empty for the
 * image's default), ordered environment (pairs or an object) and
 * [hostPort, containerPort] pairs.
 */
export function containerRun({ name, image, command = [], env = [], ports = [] }) {
  return {
    tag: "container",
    val: {
      name: String(name),
      image: String(image),
      command: command.map(String),
      env: toPairs(env),
      ports: ports.map(([host, container]) => [Number(host), Number(container)]),
    },
  };
}

/**
 * Racetrack's job records, as componentize-js gives them to the job hooks
 * (`postJobDeploy(plugin, event)`, `postJobDelete(plugin, event)`,
 * infrastructure targets); `option` fields are the value or `undefined`.
 *
 * @typedef {object} JobManifest
 * @property {string} name
 * @property {string} ownerEmail
 * @property {string} jobtype             e.g. `python3:2.4.0`
 * @property {string} gitRemote
 * @property {string|undefined} gitBranch
 * @property {string|undefined} gitDirectory
 * @property {string|undefined} image
 * @property {[string, string][]} buildEnv
 * @property {[string, string][]} runtimeEnv
 * @property {[string, string][]} labels
 * @property {number} replicas
 * @property {[string, string][]} resources
 * @property {string|undefined} jobtypeExtra  the job type's own settings, as YAML
 *
 * @typedef {object} JobRecord
 * @property {string} name
 * @property {string} version
 * @property {string} status              `running`, `error`, `deleted`, ...
 * @property {string} id
 * @property {string} createTime          RFC 3339
 * @property {string} updateTime
 * @property {string|undefined} deployTime
 * @property {string|undefined} infrastructureTarget
 * @property {string|undefined} deployedBy
 * @property {string|undefined} internalName
 *
 * @typedef {object} JobDeployed          the input of postJobDeploy
 * @property {JobManifest} manifest
 * @property {JobRecord} job
 * @property {string} imageName
 * @property {string|undefined} deployer
 *
 * @typedef {object} JobDeleted           the input of postJobDelete
 * @property {JobRecord} job
 * @property {string|undefined} deletedBy
 */

/**
 * `word` as one POSIX shell word, always single-quoted (the Rust SDK's
 * `shell::quote`): single quotes keep everything literal, and each `'`
 * closes them, adds an escaped quote and reopens them.
 */
export function shellQuote(word) {
  return `'${String(word).replaceAll("'", "'\\''")}'`;
}

/** Structured logging to the host, which prints it under the plugin's name. */
export const log = Object.freeze({
  trace: (message) => hostLog("trace", String(message)),
  debug: (message) => hostLog("debug", String(message)),
  info: (message) => hostLog("info", String(message)),
  warn: (message) => hostLog("warn", String(message)),
  error: (message) => hostLog("error", String(message)),
});

/** Typed access to `this.parameters`, ordered [name, { tag, val }] pairs. */
class Parameters {
  constructor(parameters) {
    this.parameters = parameters;
  }

  /** A parameter by name as its WIT variant ({ tag: "text", val: "..." }, ...), or undefined. */
  param(name) {
    const found = this.parameters.find(([key]) => key === name);
    return found === undefined ? undefined : found[1];
  }

  #typed(name, tag, fallback) {
    const value = this.param(name);
    return value !== undefined && value.tag === tag ? value.val : fallback;
  }

  /** A text parameter; `fallback` if absent or not text. */
  text(name, fallback = undefined) {
    return this.#typed(name, "text", fallback);
  }

  /**
   * An integer parameter as a Number; `fallback` if absent or not an integer.
   * Fails the hook if the value is beyond Number.MAX_SAFE_INTEGER (read it
   * exactly, as a BigInt, with `param(name).val`).
   */
  integer(name, fallback = undefined) {
    const value = this.#typed(name, "integer", undefined);
    if (value === undefined) return fallback;
    const number = Number(value);
    if (!Number.isSafeInteger(number)) {
      fail(`parameter \`${name}\` is ${value}, beyond JavaScript's safe integers; read it with param("${name}").val (a BigInt)`);
    }
    return number;
  }

  /** A floating-point parameter; `fallback` if absent or not a number. */
  number(name, fallback = undefined) {
    return this.#typed(name, "number", fallback);
  }

  /** A boolean parameter; `fallback` if absent or not a boolean. */
  boolean(name, fallback = undefined) {
    return this.#typed(name, "boolean", fallback);
  }

  /** A list-of-text parameter; `fallback` if absent or not a list. */
  textList(name, fallback = undefined) {
    return this.#typed(name, "text-list", fallback);
  }

  /** A text parameter that must be present; fails the hook naming it otherwise. */
  requiredText(name) {
    const value = this.text(name);
    if (value === undefined) fail(`parameter \`${name}\` is required and must be a string`);
    return value;
  }
}

/**
 * Who a 0.2 hook is called as: `pluginId`, `parameters` (ordered
 * [name, { tag, val }] pairs) and typed accessors. `raw` is the WIT
 * plugin-context itself.
 */
export class PluginContext extends Parameters {
  constructor(raw) {
    super(raw.parameters);
    this.raw = raw;
    this.pluginId = raw.pluginId;
  }
}

/**
 * What a 0.1.0 hook receives: `pluginId`, `deployment` (`environment`,
 * `team`, `jobName`, `jobVersion`, `imageName`, `deployer` — undefined when
 * unknown), `parameters` (ordered [name, { tag, val }] pairs) and typed
 * accessors. `raw` is the WIT hook-context itself.
 */
export class Context extends Parameters {
  constructor(raw) {
    super(raw.parameters);
    this.raw = raw;
    this.pluginId = raw.pluginId;
    this.deployment = raw.deployment;
  }
}

function describe(error) {
  if (error instanceof Error) {
    return `uncaught ${error.name}: ${error.message}`;
  }
  return `uncaught exception: ${String(error)}`;
}

/**
 * `hook` as componentize-js calls it: with the SDK's view of the WIT
 * arguments (`view` maps them) and `this` bound to `self`, its exceptions
 * turned into the hook's error.
 */
function wrap(hook, self, view) {
  return function (...raw) {
    try {
      return hook.call(self, ...view(...raw));
    } catch (error) {
      if (error instanceof HookFailed) throw error;
      if (error === NOT_IMPLEMENTED) throw { payload: NOT_IMPLEMENTED };
      throw { payload: { tag: "failed", val: describe(error) } };
    }
  };
}

function notImplemented() {
  throw { payload: NOT_IMPLEMENTED };
}

/**
 * The paddock:plugin@0.1.0 API: turns an object of hook functions (any of
 * deploy, destroy, dockerfileInjection, bootstrapInjection,
 * jobRuntimeEnvVars), each `(ctx) => value`, into the `hooks` export.
 * Unknown keys are refused.
 */
export function definePlugin(plugin) {
  if (WORLD_EXPORTS !== null) {
    throw new Error(
      "definePlugin is the paddock:plugin@0.1.0 API, but plugin-manifest.yaml declares `hooks:`, so the plugin is " +
        "built against the 0.2 packages; export the hooks `defineHooks({...})` makes (see guest-sdk/js/README.md), " +
        "or remove `hooks:`",
    );
  }
  for (const key of Object.keys(plugin)) {
    if (!HOOK_NAMES.includes(key)) {
      throw new Error(`definePlugin: \`${key}\` is not a Paddock hook; the hooks are ${HOOK_NAMES.join(", ")}`);
    }
  }
  const hooks = {};
  for (const name of HOOK_NAMES) {
    const hook = plugin[name];
    hooks[name] = typeof hook === "function" ? wrap(hook, plugin, (raw) => [new Context(raw)]) : notImplemented;
  }
  return hooks;
}

/**
 * The 0.2 API: turns an object of hook functions, each `(plugin, input) =>
 * value` (a `PluginContext`, then the hook's input: the deployment for the
 * deployment hooks), into the exports componentize-js looks up: one per
 * interface, named after it, holding its hooks. For single-hook interfaces
 * the export is named as the hook; export each under its name:
 *
 *     export const { dockerfileInjection, jobRuntimeEnvVars } = defineHooks({ ... });
 *
 * The keys must be exactly the hooks the manifest's `hooks:` lists (the
 * world is made from it): an unknown, undeclared or missing hook fails the
 * build, naming it.
 */
export function defineHooks(implementations) {
  const given = Object.keys(implementations);
  if (WORLD_EXPORTS === null) {
    throw new Error(
      "defineHooks is the 0.2 API, but plugin-manifest.yaml has no `hooks:`, so the plugin is built against " +
        `paddock:plugin@0.1.0; declare the hooks it implements, e.g. \`hooks: [${given.map(kebabCase).join(", ")}]\`, ` +
        "or export the 0.1.0 `hooks = definePlugin({...})`",
    );
  }
  const declared = Object.values(WORLD_EXPORTS).flat();
  const undeclared = given.filter((key) => !declared.includes(kebabCase(key)));
  if (undeclared.length > 0) {
    throw new Error(
      `defineHooks: ${undeclared.map((key) => `\`${key}\``).join(", ")} is not a hook the plugin's world exports; ` +
        `plugin-manifest.yaml's \`hooks:\` lists ${declared.join(", ")}: add the hook there, or fix its name ` +
        "(camelCase: `job-runtime-env-vars` is `jobRuntimeEnvVars`)",
    );
  }
  const missing = declared.filter((hook) => !given.includes(camelCase(hook)));
  if (missing.length > 0) {
    throw new Error(
      `defineHooks: plugin-manifest.yaml's \`hooks:\` lists ${missing.join(", ")}, which is not given here; ` +
        "implement it, or remove it from `hooks:`",
    );
  }
  const view = (plugin, ...input) => [new PluginContext(plugin), ...input];
  const exports = {};
  for (const [iface, hooks] of Object.entries(WORLD_EXPORTS)) {
    const functions = {};
    for (const name of hooks.map(camelCase)) {
      const hook = implementations[name];
      if (typeof hook !== "function") {
        throw new Error(`defineHooks: \`${name}\` must be a function (plugin, input) => value`);
      }
      functions[name] = wrap(hook, implementations, view);
    }
    exports[exportName(iface)] = Object.freeze(functions);
  }
  return exports;
}
