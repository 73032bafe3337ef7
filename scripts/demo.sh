#!/usr/bin/env bash
# The main job: build the paddock CLI, bundle the sample plugins from
# source, and run every hook across them in priority order; then the
# Racetrack and Orbit hooks of the 0.2 samples: a job's Dockerfile from a
# job type, a plugin's docs, a job notifier, an infrastructure target, and
# an Orbit environment deployed team by team; then a DevStack stack run
# (settings, packages for a distro, script fragments per phase); then a
# Tutor environment rendered from myplugin with its init job, image and a
# command; and the Digital Rebar incrementer provider served over stdin.
# Extra arguments go to the first `paddock run` (e.g. --format json).
set -euo pipefail
cd "$(dirname "$0")/.."

rustup target add wasm32-wasip2 >/dev/null
cargo build --quiet -p paddock-cli --bin paddock
paddock=target/debug/paddock
for plugin in hello-world runtime-env docker-layers deploy-recorder team-labels \
    job-notifier python3-job-type infra-targets custom-cfn ray; do
    "$paddock" bundle "sample-plugins/$plugin" -o "target/bundles/$plugin.zip"
done
echo
"$paddock" run all \
    --set sample-plugins/plugins.yaml \
    --context sample-plugins/context.yaml "$@"

section() { printf '\n##### %s\n\n' "$1"; }
section "Racetrack: the python3 job type renders the Dockerfiles of sample-plugins/job.yaml"
"$paddock" render-job --manifest sample-plugins/job.yaml --plugins target/bundles/python3-job-type.zip
section "Racetrack: job-notifier's documentation"
"$paddock" docs target/bundles/job-notifier.zip
section "Racetrack: post-job-deploy, and a job deployed on the kubernetes target"
"$paddock" run post-job-deploy --plugins target/bundles/job-notifier.zip --context sample-plugins/job-context.yaml
"$paddock" run deploy-job --plugins target/bundles/infra-targets.zip --context sample-plugins/job-context.yaml
section "Orbit: pre-hook and deploy, team by team (resources written to target/orbit-out)"
"$paddock" run pre-hook --environment sample-plugins/orbit/environment.yaml
"$paddock" run deploy --environment sample-plugins/orbit/environment.yaml --out target/orbit-out
section "DevStack: stack.sh across the template, database and API plugins (written to target/devstack-out)"
for plugin in devstack-template devstack-database devstack-api; do
    "$paddock" bundle "sample-plugins/$plugin" -o "target/bundles/$plugin.zip"
done
# `enable_plugin NAME URL`: the database by file:// URL, pinned by its sha256.
database="$PWD/target/bundles/devstack-database.zip"
cat > target/devstack-plugins.yaml <<SET
plugins:
  - bundle: bundles/devstack-api.zip
  - url: file://$database
    sha256: $(sha256sum "$database" | cut -d' ' -f1)
  - bundle: bundles/devstack-template.zip
SET
"$paddock" devstack stack --set target/devstack-plugins.yaml --local-conf sample-plugins/devstack/local.conf \
    --distro ubuntu --out target/devstack-out
section "Tutor: myplugin's config saved and the environment rendered (project in target/tutor-demo)"
"$paddock" bundle sample-plugins/myplugin -o target/bundles/myplugin.zip
tutor=(--root target/tutor-demo --templates sample-plugins/tutor-env --plugins target/bundles/myplugin.zip)
"$paddock" config save "${tutor[@]}" --set PLATFORM_NAME="Paddock Demo"
"$paddock" config printvalue MYPLUGIN_DOCKER_IMAGE "${tutor[@]}"
cat target/tutor-demo/env/local/docker-compose.yml
"$paddock" init list "${tutor[@]}"
"$paddock" images list "${tutor[@]}"
"$paddock" plugins run --plugins target/bundles/myplugin.zip myplugin --help
"$paddock" plugins run --plugins target/bundles/myplugin.zip myplugin greet Tutor --times 2
section "Digital Rebar: the incrementer provider, served over stdin (objects in target/provider-objects.sqlite3)"
"$paddock" bundle sample-plugins/incrementer -o target/bundles/incrementer.zip
"$paddock" provider define target/bundles/incrementer.zip
rm -f target/provider-objects.sqlite3*
printf '%s\n' \
    '{"op":"config","provider":"incrementer","params":{"incrementer/step":2}}' \
    '{"op":"action","provider":"incrementer","command":"increment","object_type":"machines","key":"m1"}' \
    '{"op":"action","provider":"incrementer","command":"increment","object_type":"machines","key":"m1","params":{"incrementer/step":5}}' \
    '{"op":"event","type":"machines","action":"update","key":"m1"}' \
    '{"op":"action","provider":"incrementer","command":"status","object_type":"plugins","key":"incrementer"}' \
    '{"op":"action","provider":"incrementer","command":"decrement","object_type":"machines","key":"m1"}' \
    | "$paddock" provider serve target/bundles/incrementer.zip --store target/provider-objects.sqlite3
