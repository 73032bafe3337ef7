// {{name}}: a Paddock plugin. Implement the hooks you need; the others are
// reported as skipped. See guest-sdk/js/README.md in the Paddock checkout.

import { definePlugin, log } from "./paddock-guest.js";

export const hooks = definePlugin({
  jobRuntimeEnvVars(ctx) {
    log.info(`adding vars for ${ctx.deployment.jobName}`);
    const level = ctx.text("log_level", "info");
    return [["LOG_LEVEL", level], ["JOB_NAME", ctx.deployment.jobName]];
  },

  dockerfileInjection(ctx) {
    return [`LABEL org.example.plugin="${ctx.pluginId}"`];
  },
});
