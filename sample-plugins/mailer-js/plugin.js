// mailer-js: a Tutor plugin (seed 004) in JavaScript: an SMTP relay beside
// the platform. Its password is generated once and stored in config.yml
// (`add`), its image and host are defaults, a patch adds the service to
// docker-compose, and `init` runs the commands of the template the bundle
// ships in files/templates/mailer-js/hooks/smtp/init. The manifest declares
// `hooks: [tutor-config, tutor-patches, tutor-init]`; keys are prefixed
// MAILER_JS_.

import { defineHooks, log } from "./paddock-guest.js";

export const { config, patches, init } = defineHooks({
  tutorConfig(plugin) {
    return {
      add: [["SMTP_PASSWORD", "{{ 16|random_string }}"]],
      defaults: [
        ["DOCKER_IMAGE", plugin.text("image", "namshi/smtp:latest")],
        ["SMTP_HOST", "smtp.{{ LMS_HOST }}"],
      ],
      set: [],
    };
  },

  tutorPatches(plugin) {
    log.info("patching docker-compose with the smtp service");
    return [
      [
        "local-docker-compose-services",
        'smtp:\n  image: {{ MAILER_JS_DOCKER_IMAGE }}\n  environment:\n    SMTP_PASSWORD: "{{ MAILER_JS_SMTP_PASSWORD }}"',
      ],
    ];
  },

  tutorInit(plugin) {
    return ["smtp"];
  },
});
