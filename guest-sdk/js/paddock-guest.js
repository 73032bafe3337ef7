// Paddock guest SDK for JavaScript.
//
// Write a Paddock plugin in JavaScript: in `plugin.js`, pass the hooks you
// provide to `definePlugin` and export the result as `hooks`. Hooks you leave
// out report "not implemented", which the host shows as skipped.
//
//     import { definePlugin, log } from "./paddock-guest.js";
//
//     export const hooks = definePlugin({
//       jobRuntimeEnvVars(ctx) {
//         log.info(`adding vars for ${ctx.deployment.jobName}`);
//         return [["LOG_LEVEL", ctx.text("log_level", "info")]];
//       },
//     });
//
// Every hook receives a `Context` (the WIT `hook-context` plus parameter
// helpers) and returns a plain value:
//   deploy, destroy        -> report(summary, details)  ({ summary, details })
//   dockerfileInjection    -> array of strings, one Dockerfile instruction each
//   bootstrapInjection     -> a shell script string, or undefined for none
//   jobRuntimeEnvVars      -> array of [name, value] pairs
//
// To fail a hook, `throw new HookFailed("what went wrong")` (or call
// `fail(...)`): the host reports the message with the plugin's name, version
// and the hook. Any other exception escaping a hook fails it too, with the
// error's name and message.
//
// `paddock bundle` copies this file next to the plugin's sources before
// building, so plugins import it as "./paddock-guest.js".

import { log as hostLog } from "paddock:plugin/logging@0.1.0";

const HOOK_NAMES = ["deploy", "destroy", "dockerfileInjection", "bootstrapInjection", "jobRuntimeEnvVars"];

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

/**
 * An action report for deploy/destroy: a one-line summary and ordered
 * key/value details (an array of [key, value] pairs, or an object in
 * insertion order).
 */
export function report(summary, details = []) {
  const pairs = Array.isArray(details) ? details : Object.entries(details);
  return { summary: String(summary), details: pairs.map(([key, value]) => [String(key), String(value)]) };
}

/** Structured logging to the host, which prints it under the plugin's name. */
export const log = Object.freeze({
  trace: (message) => hostLog("trace", String(message)),
  debug: (message) => hostLog("debug", String(message)),
  info: (message) => hostLog("info", String(message)),
  warn: (message) => hostLog("warn", String(message)),
  error: (message) => hostLog("error", String(message)),
});

/**
 * What a hook receives: `pluginId`, `deployment` (`environment`, `team`,
 * `jobName`, `jobVersion`, `imageName`, `deployer` — undefined when unknown),
 * `parameters` (ordered [name, { tag, val }] pairs) and typed accessors.
 * `raw` is the WIT hook-context itself.
 */
export class Context {
  constructor(raw) {
    this.raw = raw;
    this.pluginId = raw.pluginId;
    this.deployment = raw.deployment;
    this.parameters = raw.parameters;
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
      fail(`parameter \`${name}\` is ${value}, beyond JavaScript's safe integers; read it with ctx.param("${name}").val (a BigInt)`);
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

function describe(error) {
  if (error instanceof Error) {
    return `uncaught ${error.name}: ${error.message}`;
  }
  return `uncaught exception: ${String(error)}`;
}

function wrap(name, hook, plugin) {
  return function (raw) {
    try {
      return hook.call(plugin, new Context(raw));
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
 * Turns an object of hook functions (any of deploy, destroy,
 * dockerfileInjection, bootstrapInjection, jobRuntimeEnvVars) into the
 * `hooks` export. Unknown keys are refused, so a typo does not silently
 * leave a hook unimplemented.
 */
export function definePlugin(plugin) {
  for (const key of Object.keys(plugin)) {
    if (!HOOK_NAMES.includes(key)) {
      throw new Error(`definePlugin: \`${key}\` is not a Paddock hook; the hooks are ${HOOK_NAMES.join(", ")}`);
    }
  }
  const hooks = {};
  for (const name of HOOK_NAMES) {
    const hook = plugin[name];
    hooks[name] = typeof hook === "function" ? wrap(name, hook, plugin) : notImplemented;
  }
  return hooks;
}
