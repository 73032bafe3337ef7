//! Every Racetrack hook of seed 000, through the library, with the ported
//! sample plugins: post-job-deploy/delete (job-notifier), markdown-docs,
//! job types rendered from bundle templates (python3-job-type), and
//! infrastructure targets returning declarative resources (infra-targets).

use std::sync::Arc;

use paddock::hooks::racetrack::{JobDeleted, JobDeployed, JobHealth, JobManifest, JobOnTarget, JobRecord, ObservedJob};
use paddock::resources::Resource;
use paddock::{FailureCause, Host, HostConfig, Plugin, PluginConfig, PluginSet, Status, hooks};

use crate::support;

fn set_of(plugins: &[Arc<Plugin>]) -> PluginSet {
    let mut builder = PluginSet::builder(support::host());
    for plugin in plugins {
        builder = builder.add(plugin.clone(), PluginConfig::default()).unwrap();
    }
    builder.build().unwrap()
}

fn sample(name: &str) -> Arc<Plugin> {
    Arc::new(support::host().load_file(&support::sample_bundle(name)).unwrap())
}

fn job() -> JobRecord {
    support::job_record()
}

fn manifest() -> JobManifest {
    JobManifest {
        name: "sentiment".into(),
        owner_email: "alice@example.com".into(),
        jobtype: "python3:2.4.0".into(),
        git_remote: "https://github.com/example/sentiment".into(),
        git_directory: Some("model".into()),
        build_env: vec![("PIP_INDEX_URL".into(), "https://pypi.example/simple".into())],
        runtime_env: vec![("LOG_LEVEL".into(), "info".into())],
        replicas: 2,
        ..JobManifest::default()
    }
}

fn failure(status: &Status<impl std::fmt::Debug>) -> String {
    status.failure().unwrap_or_else(|| panic!("expected a failure, got {status:?}")).to_string()
}

#[test]
fn post_job_deploy_and_delete_receive_the_typed_job_and_report_back() {
    let set = set_of(&[sample("job-notifier"), sample("hello-world")]);
    let deployed = JobDeployed {
        manifest: manifest(),
        job: job(),
        image_name: "registry/sentiment:1.4.2".into(),
        deployer: Some("alice".into()),
    };
    let outcomes = set.call::<hooks::PostJobDeploy>(&deployed);
    let report = outcomes[1].status.ok().expect("job-notifier reports");
    assert_eq!(report.summary, "would notify #racetrack: alice deployed sentiment 1.4.2 (registry/sentiment:1.4.2)");
    assert!(report.details.contains(&("owner".into(), "alice@example.com".into())), "{report:?}");
    assert_eq!(outcomes[0].status, Status::Skipped, "hello-world is a 0.1.0 plugin: no post-job-deploy");

    let deleted = JobDeleted { job: job(), deleted_by: Some("bob".into()) };
    let report = set.call::<hooks::PostJobDelete>(&deleted)[1].status.ok().cloned().unwrap();
    assert_eq!(report.summary, "would notify #racetrack: bob deleted sentiment 1.4.2");
}

#[test]
fn markdown_docs_come_back_and_are_neutralised_for_display() {
    let set = set_of(&[sample("job-notifier")]);
    let docs = set.call::<hooks::MarkdownDocs>(&())[0].status.ok().cloned().flatten().unwrap();
    assert!(docs.starts_with("# job-notifier\n"), "{docs}");
    let shown = paddock::sanitize::markdown_for_terminal("<img src=x onerror=alert(1)>\n\u{1b}]0;pwned\u{7}", 1000);
    assert_eq!(shown, "&lt;img src=x onerror=alert(1)>\n\\u{1b}]0;pwned\\u{7}");
}

#[test]
fn a_job_type_lists_files_in_its_bundle_and_renders_its_template_for_a_manifest() {
    let plugin = sample("python3-job-type");
    let set = set_of(std::slice::from_ref(&plugin));
    let types = set.call::<hooks::JobTypes>(&())[0].status.ok().cloned().unwrap();
    assert_eq!(types.len(), 1);
    assert_eq!(types[0].full_name(), "python3:2.4.0");
    let job_type = paddock::jobtypes::find(&types, &manifest().jobtype).unwrap();
    assert!(paddock::jobtypes::find(&types, "golang:1.0.0").is_none());

    let images = paddock::jobtypes::render(&plugin, job_type, &manifest(), support::host().output_rules()).unwrap();
    assert_eq!(images.len(), 1);
    assert!(images[0].base_dockerfile.starts_with("FROM python:3.11-slim-bookworm\n"), "{}", images[0].base_dockerfile);
    let dockerfile = &images[0].dockerfile;
    assert!(dockerfile.starts_with("FROM paddock/python3-base:2.4.0-0\n"), "{dockerfile}");
    assert!(
        dockerfile.contains("LABEL racetrack.job=\"sentiment\" racetrack.owner=\"alice@example.com\""),
        "{dockerfile}"
    );
    assert!(dockerfile.contains("ENV PIP_INDEX_URL=\"https://pypi.example/simple\""), "{dockerfile}");
    assert!(dockerfile.contains("COPY model/requirements.txt /src/requirements.txt"), "{dockerfile}");
}

/// The python3-job-type component with other files shipped.
fn job_type_plugin_shipping(name: &str, files: &[(&str, &str)]) -> Arc<Plugin> {
    Arc::new(support::host().load_file(&job_type_bundle_shipping(name, files)).unwrap())
}

/// A bundle of the python3-job-type component with other files shipped.
fn job_type_bundle_shipping(name: &str, files: &[(&str, &str)]) -> std::path::PathBuf {
    let manifest = paddock::Manifest::parse(format!("name: {name}\nversion: 2.4.0\n").as_bytes()).unwrap();
    let files: Vec<paddock::BundleFile> = files
        .iter()
        .map(|(path, text)| paddock::BundleFile { path: path.to_string(), contents: text.as_bytes().to_vec() })
        .collect();
    let out = tempfile::tempdir().unwrap().keep().join(format!("{name}.zip"));
    support::write_bundle(manifest, support::component_bytes("python3-job-type"), &files, &out)
}

#[test]
fn a_job_type_naming_a_file_its_bundle_lacks_or_a_broken_template_is_an_error_naming_it() {
    let missing = job_type_plugin_shipping("no-template", &[("python3/base.Dockerfile", "FROM python:3.11\n")]);
    let status = set_of(&[missing]).call::<hooks::JobTypes>(&()).remove(0).status;
    let error = failure(&status);
    assert!(error.contains("`no-template` 2.4.0"), "{error}");
    assert!(error.contains("job type file `python3/job-template.Dockerfile` is not in the bundle's files/"), "{error}");

    let broken = job_type_plugin_shipping(
        "undefined-variable",
        &[
            ("python3/base.Dockerfile", "FROM python:3.11\n"),
            ("python3/job-template.Dockerfile", "FROM {{ base_image }}\nRUN echo {{ manifest.nope }}\n"),
        ],
    );
    let types =
        set_of(std::slice::from_ref(&broken)).call::<hooks::JobTypes>(&()).remove(0).status.ok().cloned().unwrap();
    let error = paddock::jobtypes::render(&broken, &types[0], &manifest(), support::host().output_rules()).unwrap_err();
    let text = error.to_string();
    assert!(text.starts_with("plugin `undefined-variable` 2.4.0, job type `python3:2.4.0`: template `python3/job-template.Dockerfile` line 2"), "{text}");

    let heredoc = job_type_plugin_shipping(
        "heredoc-template",
        &[
            ("python3/base.Dockerfile", "FROM python:3.11\n"),
            ("python3/job-template.Dockerfile", "FROM {{ base_image }}\nRUN <<EOF\nid\nEOF\n"),
        ],
    );
    let types =
        set_of(std::slice::from_ref(&heredoc)).call::<hooks::JobTypes>(&()).remove(0).status.ok().cloned().unwrap();
    let error =
        paddock::jobtypes::render(&heredoc, &types[0], &manifest(), support::host().output_rules()).unwrap_err();
    assert!(error.to_string().contains("heredoc"), "{error}");
}

fn on_target(target: &str) -> JobOnTarget {
    JobOnTarget {
        target: target.into(),
        manifest: manifest(),
        job: job(),
        image_name: "registry/sentiment:1.4.2".into(),
    }
}

#[test]
fn infrastructure_targets_return_checked_resources_health_and_log_selectors() {
    let set = set_of(&[sample("infra-targets")]);
    assert_eq!(
        set.call::<hooks::InfrastructureTargets>(&())[0].status,
        Status::Ok(vec!["kubernetes".into(), "docker".into()])
    );

    let resources = set.call::<hooks::DeployJob>(&on_target("kubernetes")).remove(0).status;
    let resources = resources.ok().unwrap();
    let Resource::Kubernetes { objects, .. } = &resources[0] else { panic!("{resources:?}") };
    let kinds: Vec<(&str, &str)> = objects.iter().map(|o| (o.kind.as_str(), o.name.as_str())).collect();
    assert_eq!(kinds, [("Deployment", "job-sentiment-1-4-2"), ("Service", "job-sentiment-1-4-2")]);
    assert_eq!(objects[0].document["spec"]["replicas"], 2);
    assert_eq!(objects[0].namespace.as_deref(), Some("racetrack"));

    let docker = set.call::<hooks::DeployJob>(&on_target("docker")).remove(0).status.ok().cloned().unwrap();
    assert!(
        matches!(&docker[0], Resource::Container(run) if run.image == "registry/sentiment:1.4.2" && run.ports == [(7000, 7000)])
    );
    let error = failure(&set.call::<hooks::DeleteJob>(&on_target("mainframe")).remove(0).status);
    assert!(error.contains("unknown target `mainframe`"), "{error}");

    let observed = |ready, conditions: &[&str]| ObservedJob {
        target: "kubernetes".into(),
        job: job(),
        replicas_wanted: 2,
        replicas_ready: ready,
        conditions: conditions.iter().map(|c| c.to_string()).collect(),
    };
    assert_eq!(set.call::<hooks::JobStatus>(&observed(2, &[]))[0].status, Status::Ok(JobHealth::Ready));
    assert_eq!(
        set.call::<hooks::JobStatus>(&observed(1, &[]))[0].status,
        Status::Ok(JobHealth::Progressing("1 of 2 replicas ready".into()))
    );
    assert!(matches!(
        &set.call::<hooks::JobStatus>(&observed(0, &["Back-off: CrashLoopBackOff"]))[0].status,
        Status::Ok(JobHealth::Failed(_))
    ));
    let logs = set.call::<hooks::JobLogs>(&on_target("kubernetes")).remove(0).status.ok().cloned().unwrap();
    assert_eq!((logs.namespace.as_str(), logs.selector.as_str()), ("racetrack", "app=job-sentiment-1-4-2"));
}

#[test]
fn a_kind_the_embedder_does_not_allow_is_refused_by_name() {
    let mut rules = paddock::OutputRules::default();
    rules.resources.allowed_kinds.retain(|kind| kind != "Service");
    let host = Host::with_config(HostConfig { output_rules: rules, ..support::host_config() }).unwrap();
    let plugin = host.load_file(&support::sample_bundle("infra-targets")).unwrap();
    let set = PluginSet::builder(&host).add(plugin, PluginConfig::default()).unwrap().build().unwrap();
    let status = set.call::<hooks::DeployJob>(&on_target("kubernetes")).remove(0).status;
    let cause = &status.failure().unwrap().cause;
    assert!(matches!(cause, FailureCause::InvalidOutput(_)), "{cause}");
    let error = failure(&status);
    assert!(error.contains("`infra-targets` 1.0.0") && error.contains("deploy-job"), "{error}");
    assert!(error.contains("resource 1: Kubernetes kind `Service` is not allowed here"), "{error}");
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn bundle_arg(name: &str) -> String {
    support::sample_bundle(name).display().to_string()
}

#[test]
fn the_cli_shows_docs_lists_job_types_and_renders_a_jobs_dockerfiles() {
    let docs = support::paddock(&["docs", &bundle_arg("job-notifier")]);
    assert!(docs.status.success(), "{}", stderr(&docs));
    assert!(stdout(&docs).starts_with("# job-notifier\n\nPosts to `#racetrack`"), "{}", stdout(&docs));
    let none = support::paddock(&["docs", &bundle_arg("hello-world")]);
    assert!(stdout(&none).contains("hello-world 1.0.0 has no documentation"), "{}", stdout(&none));

    let listed = support::paddock(&[
        "run",
        "job-types",
        "--plugins",
        &bundle_arg("python3-job-type"),
        &bundle_arg("job-notifier"),
    ]);
    assert!(listed.status.success(), "{}", stderr(&listed));
    assert!(stdout(&listed).contains("Job types (1):\n    | python3:2.4.0 (python3-job-type)"), "{}", stdout(&listed));

    let rendered = support::paddock(&[
        "render-job",
        "--manifest",
        "sample-plugins/job.yaml",
        "--plugins",
        &bundle_arg("python3-job-type"),
    ]);
    assert!(rendered.status.success(), "{}", stderr(&rendered));
    let text = stdout(&rendered);
    assert!(
        text.contains("== job image (python3/job-template.Dockerfile) ==\nFROM paddock/python3-base:2.4.0-0\n"),
        "{text}"
    );

    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("dockerfiles");
    let written = support::paddock(&[
        "render-job",
        "--manifest",
        "sample-plugins/job.yaml",
        "--plugins",
        &bundle_arg("python3-job-type"),
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(written.status.success(), "{}", stderr(&written));
    let dockerfile = std::fs::read_to_string(dir.join("0.Dockerfile")).unwrap();
    assert!(dockerfile.starts_with("FROM paddock/python3-base:2.4.0-0\n"), "{dockerfile}");
    assert!(dir.join("0-base.Dockerfile").is_file());

    // `paddock validate` lists a job-type plugin's job types, so a file it
    // names but does not ship is caught before any job needs it.
    let missing =
        job_type_bundle_shipping("validate-no-template", &[("python3/base.Dockerfile", "FROM python:3.11\n")]);
    let validated = support::paddock(&["validate", missing.to_str().unwrap(), &bundle_arg("python3-job-type")]);
    assert_eq!(validated.status.code(), Some(1));
    let lines = stdout(&validated);
    assert!(lines.contains("job type file `python3/job-template.Dockerfile` is not in the bundle's files/"), "{lines}");
    assert!(lines.contains("(python3-job-type 2.4.0)"), "{lines}");

    let manifest = out.path().join("golang-job.yaml");
    std::fs::write(&manifest, "name: api\njobtype: golang:1.0.0\n").unwrap();
    let unknown = support::paddock(&[
        "render-job",
        "--manifest",
        manifest.to_str().unwrap(),
        "--plugins",
        &bundle_arg("python3-job-type"),
    ]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        stderr(&unknown).contains("asks for job type `golang:1.0.0`, which no plugin provides; the plugins provide: python3:2.4.0 (python3-job-type)"),
        "{}",
        stderr(&unknown)
    );
}

#[test]
fn the_cli_runs_job_hooks_with_the_job_from_the_context_and_says_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let context = dir.path().join("context.yaml");
    std::fs::write(
        &context,
        "environment: prod\njob_deployed:\n  manifest: {name: sentiment, owner_email: alice@example.com, jobtype: 'python3:2.4.0'}\n  \
         job: {name: sentiment, version: 1.4.2, status: running}\n  image_name: registry/sentiment:1.4.2\n  deployer: alice\n",
    )
    .unwrap();
    let notifier = bundle_arg("job-notifier");
    let run =
        support::paddock(&["run", "post-job-deploy", "--plugins", &notifier, "--context", context.to_str().unwrap()]);
    assert!(run.status.success(), "{}", stderr(&run));
    assert!(
        stdout(&run).contains("would notify #racetrack: alice deployed sentiment 1.4.2 (registry/sentiment:1.4.2)"),
        "{}",
        stdout(&run)
    );

    let missing =
        support::paddock(&["run", "post-job-delete", "--plugins", &notifier, "--context", context.to_str().unwrap()]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("hook `post-job-delete` needs `job_deleted` in the context"),
        "{}",
        stderr(&missing)
    );

    std::fs::write(&context, "environment: prod\njob_deployed: {image_nmae: typo}\n").unwrap();
    let typo =
        support::paddock(&["run", "post-job-deploy", "--plugins", &notifier, "--context", context.to_str().unwrap()]);
    assert_eq!(typo.status.code(), Some(2));
    assert!(stderr(&typo).contains("image_nmae"), "{}", stderr(&typo));
}
