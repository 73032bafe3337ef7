// polyglot-js: the polyglot sample plugin in JavaScript (twins: polyglot-rust, polyglot-python).
//
// Racetrack-style runtime variables, Dockerfile and bootstrap injection built
// from the deployment context and parameters; `deploy` is not implemented;
// `destroy` reports what it would remove, fails when `fail_destroy` is true and
// never returns when `loop_destroy` is true (to exercise the host's time limit).

import { HookFailed, definePlugin, log, report } from "./paddock-guest.js";

export const hooks = definePlugin({
  jobRuntimeEnvVars(ctx) {
    const d = ctx.deployment;
    const variables = [
      ["RACETRACK_JOB_NAME", d.jobName],
      ["RACETRACK_JOB_VERSION", d.jobVersion],
      ["RACETRACK_TEAM", d.team],
      ["RACETRACK_ENVIRONMENT", d.environment],
    ];
    if (d.deployer !== undefined) {
      variables.push(["RACETRACK_DEPLOYER", d.deployer]);
    }
    variables.push(["LOG_LEVEL", ctx.text("log_level", "info")]);
    variables.push(["REPLICAS", String(ctx.integer("replicas", 1))]);
    variables.push(["DEBUG", ctx.boolean("debug", false) ? "true" : "false"]);
    log.info(`setting ${variables.length} variables for ${d.jobName}`);
    return variables;
  },

  dockerfileInjection(ctx) {
    const d = ctx.deployment;
    const lines = [
      `LABEL org.opencontainers.image.title="${d.jobName}" org.opencontainers.image.version="${d.jobVersion}"`,
      `ENV RACETRACK_TEAM=${d.team}`,
    ];
    const packages = ctx.textList("apt_packages", []);
    if (packages.length > 0) {
      lines.push(
        `RUN apt-get update && apt-get install -y --no-install-recommends ${packages.join(" ")} && rm -rf /var/lib/apt/lists/*`,
      );
    }
    const workdir = ctx.text("workdir");
    if (workdir !== undefined) {
      lines.push(`WORKDIR ${workdir}`);
    }
    return lines;
  },

  bootstrapInjection(ctx) {
    const commands = ctx.textList("bootstrap_commands", []);
    const debug = ctx.boolean("debug", false);
    if (commands.length === 0 && !debug) {
      return undefined;
    }
    const d = ctx.deployment;
    const lines = ["#!/usr/bin/env sh", "set -eu"];
    if (debug) {
      lines.push("set -x");
    }
    lines.push(`echo "${ctx.pluginId}: bootstrapping ${d.jobName} ${d.jobVersion} for team ${d.team} in ${d.environment}"`);
    lines.push(...commands);
    return lines.join("\n") + "\n";
  },

  destroy(ctx) {
    const d = ctx.deployment;
    if (ctx.boolean("loop_destroy", false)) {
      log.warn("loop_destroy is true: never returning");
      for (;;) {}
    }
    if (ctx.boolean("fail_destroy", false)) {
      throw new HookFailed(`refusing to destroy ${d.jobName}@${d.jobVersion}: parameter \`fail_destroy\` is true`);
    }
    return report(`would destroy ${d.jobName}@${d.jobVersion} for team ${d.team} in ${d.environment}`, [
      ["plugin_id", ctx.pluginId],
      ["image", d.imageName],
      ["deployer", d.deployer !== undefined ? d.deployer : "(unknown)"],
      ["replicas", String(ctx.integer("replicas", 1))],
    ]);
  },
});
