// devstack-template-js: DevStack's `template` plugin in JavaScript (twin:
// devstack-template in Rust, which tests/devstack.rs holds it to).
//
// `devstack/settings` is the `settings` hook (`enable_service template`,
// `TEMPLATE_DIR` a default the user may override), `install_package
// cowsay` the `system-packages` hook, and `plugin.sh stack PHASE` the
// `stack` hook: one bash fragment per phase, guarded by
// `is_service_enabled template` as the original is. `unstack` and `clean`
// are no-ops in the original: they contribute nothing.

import { defineHooks } from "./paddock-guest.js";

// The body of plugin.sh for each phase, as the template has it.
const PHASES = {
  // Set up system services.
  "pre-install": ['echo_summary "Configuring system services Template"', "install_package cowsay"],
  // Perform installation of service source.
  install: ['echo_summary "Installing Template"', 'mkdir -p "$TEMPLATE_DIR"'],
  // Configure after the other layer 1 and 2 services have been configured.
  "post-config": ['echo_summary "Configuring Template"', 'echo "dir=$TEMPLATE_DIR" > "$TEMPLATE_DIR/template.conf"'],
  // Initialize and start the template service.
  extra: ['echo_summary "Initializing Template"', 'cowsay "Template is up"'],
};

export const { settings, systemPackages, stack, unstack, clean } = defineHooks({
  settings(plugin) {
    return { defaults: [["TEMPLATE_DIR", "/opt/stack/template"]], services: ["template"], overrideDefaults: [] };
  },

  systemPackages(plugin) {
    return { debs: ["cowsay"], rpms: ["cowsay"], rpmsSuse: ["cowsay"] };
  },

  stack(plugin, phase) {
    const body = PHASES[phase];
    if (body === undefined) return undefined;
    return `if is_service_enabled template; then\n${body.map((line) => `    ${line}`).join("\n")}\nfi\n`;
  },

  unstack(plugin) {
    return undefined;
  },

  clean(plugin) {
    return undefined;
  },
});
