// {{name}}: a Paddock plugin, built against the 0.2 packages by tool. It
// implements the hooks its manifest's `hooks:` lists, each exported under
// its name; the host skips every other hook. To add one, give it to
// defineHooks, export it and list it in `hooks:`. See guest-sdk/js/README.md
// in the Paddock checkout.

import { defineHooks, log } from "./paddock-guest.js";

export const { jobRuntimeEnvVars, dockerfileInjection } = defineHooks({
  jobRuntimeEnvVars(plugin, deployment) {
    log.info(`adding vars for ${deployment.jobName}`);
    const level = plugin.text("log_level", "info");
    return [["LOG_LEVEL", level], ["JOB_NAME", deployment.jobName]];
  },

  dockerfileInjection(plugin, deployment) {
    return [`LABEL org.example.plugin="${plugin.pluginId}"`];
  },
});
