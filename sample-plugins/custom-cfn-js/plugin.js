// custom-cfn-js: Orbit's `custom_cfn` example in JavaScript (twin: custom-cfn in Rust).
//
// Before the team is deployed, a CloudFormation stack from the template the
// plugin ships (files/cfn/template.yaml); after the team is destroyed, the
// same stack to remove. The embedder runs `aws cloudformation` with what it
// returns. Built against the 0.2 packages: the manifest declares
// `hooks: [pre-hook, post-hook]`.

import { cloudformationStack, defineHooks, plan } from "./paddock-guest.js";

function stack(plugin, deployment) {
  return cloudformationStack({
    stackName: `orbit-${deployment.environment}-${deployment.team}-${plugin.pluginId}`,
    templatePath: "cfn/template.yaml",
    parameters: [
      ["TeamName", deployment.team],
      ["BucketPrefix", plugin.text("bucket_prefix", "orbit")],
    ],
  });
}

export const { preHook, postHook } = defineHooks({
  preHook(plugin, deployment) {
    const resource = stack(plugin, deployment);
    return plan(`create stack ${resource.val.stackName}`, { resources: [resource] });
  },

  postHook(plugin, deployment) {
    const resource = stack(plugin, deployment);
    return plan(`delete stack ${resource.val.stackName}`, { resources: [resource] });
  },
});
