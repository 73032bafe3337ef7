// team-labels-js: the team-labels sample in JavaScript (twins: team-labels in Rust, team-labels-python).
//
// Built against the 0.2 packages by tool: the manifest declares
// `hooks: [dockerfile-injection, job-runtime-env-vars]`, so the component
// exports those two interfaces only and the host skips its other hooks
// without instantiating it.

import { HookFailed, defineHooks, log, shellQuote } from "./paddock-guest.js";

/** `owner` defaults to the team; a parameter lets an operator name a cost centre instead. */
function owner(plugin, deployment) {
  const name = plugin.text("owner", deployment.team);
  if (name === "") {
    throw new HookFailed("no team in the deployment and no `owner` parameter: set one of them");
  }
  return name;
}

export const { dockerfileInjection, jobRuntimeEnvVars } = defineHooks({
  dockerfileInjection(plugin, deployment) {
    const name = owner(plugin, deployment);
    log.info(`labelling the image of ${name}`);
    return [
      `LABEL org.opencontainers.image.vendor=${shellQuote(name)}`,
      `LABEL paddock.environment=${shellQuote(deployment.environment)}`,
    ];
  },

  jobRuntimeEnvVars(plugin, deployment) {
    return [
      ["TEAM_OWNER", owner(plugin, deployment)],
      ["TEAM_ENVIRONMENT", deployment.environment],
    ];
  },
});
