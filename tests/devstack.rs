//! DevStack (seed 002) through the library and the CLI, with real guests:
//! the ported `template` plugin, the `plugin_requires` chain
//! (devstack-database, devstack-api) and the test guest `devstack-echo`,
//! bundled under several names to feed the host orders and bad values.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use paddock::devstack::{self, Mode, PackageFamily, SettingKind, SettingSource, UserSettings};
use paddock::hooks::devstack::StackPhase;
use paddock::{Error, Manifest, ParamValue, Plugin, PluginConfig, PluginSet, Status, hooks};

use crate::support;

fn sample(name: &str) -> Arc<Plugin> {
    Arc::new(support::host().load_file(&support::sample_bundle(name)).unwrap())
}

/// The echo guest bundled as `name` with `extra` manifest YAML (priority,
/// requires).
fn echo(name: &str, extra: &str) -> Arc<Plugin> {
    Arc::new(support::host().load_file(&echo_bundle(name, extra)).unwrap())
}

fn echo_bundle(name: &str, extra: &str) -> PathBuf {
    let manifest = Manifest::parse(format!("name: {name}\nversion: 0.0.1\n{extra}").as_bytes()).unwrap();
    let dir = support::workspace_root().join("target/test-bundles/devstack");
    std::fs::create_dir_all(&dir).unwrap();
    support::write_bundle(manifest, support::component_bytes("devstack-echo"), &[], &dir.join(format!("{name}.zip")))
}

fn texts(items: &[&str]) -> ParamValue {
    ParamValue::TextList(items.iter().map(|item| item.to_string()).collect())
}

fn with(plugin: Arc<Plugin>, parameters: &[(&str, ParamValue)]) -> (Arc<Plugin>, PluginConfig) {
    let parameters = parameters.iter().map(|(name, value)| (name.to_string(), value.clone())).collect();
    (plugin, PluginConfig { id: None, parameters })
}

fn build(plugins: Vec<(Arc<Plugin>, PluginConfig)>) -> Result<PluginSet, Error> {
    let mut builder = PluginSet::builder(support::host());
    for (plugin, config) in plugins {
        builder = builder.add(plugin, config)?;
    }
    builder.build()
}

fn set_of(plugins: &[Arc<Plugin>]) -> PluginSet {
    build(plugins.iter().map(|plugin| (plugin.clone(), PluginConfig::default())).collect()).unwrap()
}

fn order(set: &PluginSet) -> Vec<&str> {
    set.plugins().map(|(_, id)| id).collect()
}

fn file_names(set: &PluginSet, mode: Mode) -> Vec<String> {
    devstack::run(set, &[mode], &UserSettings::default(), &[]).modes[0]
        .fragments
        .iter()
        .map(|fragment| fragment.file_name.clone())
        .collect()
}

#[test]
fn every_phase_runs_the_plugins_in_order_and_names_each_fragment() {
    let set = set_of(&[echo("late", "priority: 5\n"), sample("devstack-template"), echo("early", "priority: -1\n")]);
    assert_eq!(order(&set), ["early", "devstack-template", "late"]);
    let modes: Vec<Mode> = StackPhase::ALL.into_iter().map(Mode::Stack).chain([Mode::Unstack, Mode::Clean]).collect();
    let run = devstack::run(&set, &modes, &UserSettings::default(), &[]);
    assert!(run.failures.is_empty(), "{:?}", run.failures);
    for (mode, fragments) in modes.iter().zip(&run.modes) {
        assert_eq!(fragments.mode, *mode);
        let label = mode.label();
        let names: Vec<&str> = fragments.fragments.iter().map(|fragment| fragment.file_name.as_str()).collect();
        // The template has nothing for test-config, unstack and clean (no-ops in the original).
        let template = !matches!(mode, Mode::Stack(StackPhase::TestConfig) | Mode::Unstack | Mode::Clean);
        let mut expected = vec![format!("01-early-{label}.sh")];
        if template {
            expected.push(format!("02-devstack-template-{label}.sh"));
        }
        expected.push(format!("03-late-{label}.sh"));
        assert_eq!(names, expected, "{mode}");
        assert_eq!(fragments.fragments[0].content, format!("echo \"early {label}\"\n"));
    }
    let pre_install = &run.modes[0].fragments[1].content;
    assert_eq!(
        pre_install,
        "if is_service_enabled template; then\n    echo_summary \"Configuring system services Template\"\n    \
         install_package cowsay\nfi\n"
    );
}

#[test]
fn a_required_plugin_runs_first_at_every_phase_whatever_its_priority() {
    // Configured order: api (priority 0, requires database), database
    // (priority 10), other (priority 5). Without the requirement api
    // would run first; with it, database must come before api, and other
    // keeps its place by priority ahead of database.
    let set = set_of(&[sample("devstack-api"), sample("devstack-database"), echo("other", "priority: 5\n")]);
    assert_eq!(order(&set), ["other", "devstack-database", "devstack-api"]);
    assert_eq!(
        file_names(&set, Mode::Stack(StackPhase::PostConfig)),
        ["01-other-post-config.sh", "02-devstack-database-post-config.sh", "03-devstack-api-post-config.sh"]
    );
    assert_eq!(
        file_names(&set, Mode::Unstack),
        ["01-other-unstack.sh", "02-devstack-database-unstack.sh", "03-devstack-api-unstack.sh"]
    );
    // A chain of three, configured backwards, with equal priorities.
    let set = set_of(&[echo("top", "requires: [mid]\n"), echo("mid", "requires: [base]\n"), echo("base", "")]);
    assert_eq!(order(&set), ["base", "mid", "top"]);
}

#[test]
fn a_missing_requirement_is_a_load_error_naming_both_plugins() {
    let error = build(vec![(sample("devstack-api"), PluginConfig::default())]).err().expect("a load error");
    match &error {
        Error::MissingRequirement { plugin, version, required, .. } => {
            assert_eq!(
                (plugin.as_str(), version.as_str(), required.as_str()),
                ("devstack-api", "1.0.0", "devstack-database")
            );
        }
        other => panic!("expected MissingRequirement, got {other:?}"),
    }
    let message = error.to_string();
    assert!(message.contains("requires `devstack-database`, which is not in the set"), "{message}");
}

#[test]
fn a_cycle_of_requirements_is_a_load_error_naming_the_plugins() {
    let error = build(vec![
        (echo("cycle-a", "requires: [cycle-b]\n"), PluginConfig::default()),
        (echo("cycle-b", "requires: [cycle-c]\n"), PluginConfig::default()),
        (echo("cycle-c", "requires: [cycle-a]\n"), PluginConfig::default()),
        (echo("bystander", ""), PluginConfig::default()),
    ])
    .err()
    .expect("a load error");
    match &error {
        Error::RequirementCycle { cycle } => assert_eq!(cycle, &["cycle-a", "cycle-b", "cycle-c", "cycle-a"]),
        other => panic!("expected RequirementCycle, got {other:?}"),
    }
    assert!(error.to_string().contains("plugins `cycle-a`, `cycle-b`, `cycle-c` form a cycle"), "{error}");
}

#[test]
fn settings_merge_with_a_conflict_report_and_the_user_wins() {
    let (forcing, config) = with(
        echo("forcing", "priority: 20\n"),
        &[("override-defaults", texts(&["TEMPLATE_DIR=/srv/template"])), ("services", texts(&["api", "extra"]))],
    );
    let set = build(vec![
        (sample("devstack-template"), PluginConfig::default()),
        (sample("devstack-database"), PluginConfig::default()),
        (sample("devstack-api"), PluginConfig::default()),
        (forcing, config),
    ])
    .unwrap();
    assert_eq!(order(&set), ["devstack-template", "devstack-database", "devstack-api", "forcing"]);
    let mut user = UserSettings::default();
    user.add_local_conf("[[local|localrc]]\nDATABASE_PASSWORD=hunter2\ndisable_service extra\n", "local.conf").unwrap();
    user.set("LOGFILE=/opt/stack/logs/stack.sh.log", "--var").unwrap();
    let run = devstack::run(&set, &[], &user, &[]);
    assert!(run.failures.is_empty(), "{:?}", run.failures);
    let settings = &run.settings;
    let value = |name: &str| settings.variables.iter().find(|variable| variable.name == name).unwrap();

    // Two defaults: the first in run order (the database's) wins.
    let database_type = value("DATABASE_TYPE");
    assert_eq!(database_type.value, "mysql");
    assert_eq!(
        database_type.source,
        SettingSource::Plugin { plugin: "devstack-database".into(), kind: SettingKind::Default }
    );
    assert_eq!(database_type.set_by.len(), 2);
    // An override-default beats a default, even from a later plugin.
    assert_eq!(value("TEMPLATE_DIR").value, "/srv/template");
    assert_eq!(
        value("TEMPLATE_DIR").source,
        SettingSource::Plugin { plugin: "forcing".into(), kind: SettingKind::OverrideDefault }
    );
    // The user beats every plugin; a variable only the user sets is kept too.
    assert_eq!(
        (value("DATABASE_PASSWORD").value.as_str(), &value("DATABASE_PASSWORD").source),
        ("hunter2", &SettingSource::User)
    );
    assert_eq!(value("LOGFILE").set_by, []);
    assert!(!value("LOGFILE").is_conflict() && !value("API_PORT").is_conflict());

    let notes = settings.notes();
    assert_eq!(notes.len(), 3, "{notes:#?}");
    assert_eq!(
        notes[0],
        "conflict: TEMPLATE_DIR set by devstack-template (default `/opt/stack/template`), forcing (override-default \
         `/srv/template`); kept forcing (override-default)'s `/srv/template` (the last override-default in run order wins)"
    );
    assert!(notes[1].starts_with("conflict: DATABASE_TYPE set by devstack-database (default `mysql`), devstack-api (default `postgresql`); kept devstack-database (default)'s `mysql`"), "{}", notes[1]);
    assert!(
        notes[2].contains(
            "DATABASE_PASSWORD set by devstack-database (default `stackdb`), the user (`hunter2`); kept the user's"
        ),
        "{}",
        notes[2]
    );

    let services: Vec<(&str, Vec<&str>)> = settings
        .services
        .iter()
        .map(|service| (service.name.as_str(), service.enabled_by.iter().map(String::as_str).collect()))
        .collect();
    assert_eq!(
        services,
        [
            ("template", vec!["devstack-template"]),
            ("mysql", vec!["devstack-database"]),
            ("api", vec!["devstack-api", "forcing"])
        ]
    );
    assert_eq!(settings.disabled, ["extra"]);
    let bash = settings.to_bash();
    assert!(
        bash.contains("export DATABASE_PASSWORD='hunter2'\n") && bash.contains("disable_service extra\n"),
        "{bash}"
    );
}

#[test]
fn packages_merge_for_each_distro_family_naming_who_asked() {
    let set = set_of(&[sample("devstack-template"), sample("devstack-database"), sample("devstack-api")]);
    let families: Vec<PackageFamily> =
        ["ubuntu", "fedora", "opensuse"].iter().map(|distro| PackageFamily::for_distro(distro).unwrap()).collect();
    assert_eq!(families, PackageFamily::ALL);
    let run = devstack::run(&set, &[], &UserSettings::default(), &families);
    let listed: Vec<Vec<(String, String)>> = run
        .packages
        .iter()
        .map(|merged| merged.packages.iter().map(|package| (package.name.clone(), package.plugins.join(" "))).collect())
        .collect();
    let pairs = |items: &[(&str, &str)]| -> Vec<(String, String)> {
        items.iter().map(|(name, plugins)| (name.to_string(), plugins.to_string())).collect()
    };
    assert_eq!(
        listed[0],
        pairs(&[
            ("cowsay", "devstack-template"),
            ("mysql-server", "devstack-database"),
            ("mysql-client", "devstack-database devstack-api"),
            ("python3-pymysql", "devstack-api"),
        ])
    );
    assert_eq!(
        listed[1],
        pairs(&[
            ("cowsay", "devstack-template"),
            ("mariadb-server", "devstack-database"),
            ("mariadb", "devstack-database"),
            ("python3-PyMySQL", "devstack-api"),
        ])
    );
    assert_eq!(
        listed[2],
        pairs(&[
            ("cowsay", "devstack-template"),
            ("mariadb", "devstack-database"),
            ("mariadb-client", "devstack-database"),
            ("python3-PyMySQL", "devstack-api"),
        ])
    );
}

/// A plugin name, its parameters, the hook it fails and the problem named.
type BadCase = (&'static str, Vec<(&'static str, ParamValue)>, &'static str, &'static str);

#[test]
fn bad_packages_settings_and_fragments_are_refused_naming_plugin_version_and_hook() {
    let cases: Vec<BadCase> = vec![
        (
            "bad-deb",
            vec![("debs", texts(&["cowsay; reboot"]))],
            "system-packages",
            "deb package `cowsay; reboot` is not a Debian package name",
        ),
        ("bad-rpm", vec![("rpms", texts(&["-y"]))], "system-packages", "rpm package `-y` is not an RPM package name"),
        (
            "twice",
            vec![("rpms-suse", texts(&["git", "git"]))],
            "system-packages",
            "rpm-suse package `git` is listed twice",
        ),
        (
            "bad-var",
            vec![("defaults", texts(&["LD_PRELOAD=/tmp/x.so"]))],
            "settings",
            "`LD_PRELOAD` is on the deny-list",
        ),
        (
            "bad-value",
            vec![("override-defaults", texts(&["NAME=a\nrm -rf /"]))],
            "settings",
            "`NAME` has a NUL or line break",
        ),
        ("bad-service", vec![("services", texts(&["n cpu"]))], "settings", "service `n cpu` must be letters"),
        ("nul-script", vec![("script", ParamValue::Text("echo \0".into()))], "stack", "contains a NUL byte"),
    ];
    let mut plugins = vec![(sample("devstack-template"), PluginConfig::default())];
    for (name, parameters, _, _) in &cases {
        plugins.push(with(echo(name, ""), parameters));
    }
    let set = build(plugins).unwrap();
    let run = devstack::run(&set, &[Mode::Stack(StackPhase::Install)], &UserSettings::default(), &PackageFamily::ALL);
    assert_eq!(run.failures.len(), cases.len(), "{:#?}", run.failures);
    for (name, _, hook, problem) in &cases {
        let failure = run.failures.iter().find(|failure| failure.plugin == *name).unwrap().to_string();
        assert!(failure.starts_with(&format!("plugin `{name}` 0.0.1, hook `{hook}`: ")), "{failure}");
        assert!(failure.contains(problem), "{name}: {failure}");
    }
    // The others still ran: the template's contributions are all there.
    assert_eq!(run.packages[0].packages[0].name, "cowsay");
    assert!(run.settings.services.iter().any(|service| service.name == "template"));
    let install: Vec<&str> = run.modes[0].fragments.iter().map(|fragment| fragment.plugin.as_str()).collect();
    assert_eq!(install[0], "devstack-template");
    assert!(!install.contains(&"nul-script"), "{install:?}");
}

#[test]
fn stack_phase_runs_through_the_typed_call_too() {
    let set = set_of(&[sample("devstack-template")]);
    let outcomes = set.call::<hooks::Stack>(&StackPhase::TestConfig);
    assert_eq!(outcomes[0].status, Status::Ok(None), "the template has nothing for test-config");
}

fn write_set(dir: &Path, entry: &str) -> PathBuf {
    let path = dir.join("plugins.yaml");
    std::fs::write(&path, format!("plugins:\n{entry}")).unwrap();
    path
}

fn sha256_of(path: &Path) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(std::fs::read(path).unwrap()))
}

#[test]
fn a_set_entry_names_its_bundle_by_file_url_pinned_by_digest() {
    let bundle = support::sample_bundle("devstack-template");
    let url = url::Url::from_file_path(&bundle).unwrap();
    let digest = sha256_of(&bundle);
    let dir = tempfile::tempdir().unwrap();
    let load = |entry: &str| PluginSet::builder(support::host()).add_set_file(&write_set(dir.path(), entry))?.build();

    let set = load(&format!("  - url: {url}\n    sha256: {}\n", digest.to_uppercase())).unwrap();
    assert_eq!(order(&set), ["devstack-template"]);
    // The state store's desired set reads the same entries.
    let desired = paddock::state::DesiredSet::builder(support::host()).add_set_file(&dir.path().join("plugins.yaml"));
    assert!(desired.is_ok());

    let wrong = "0".repeat(64);
    let error = load(&format!("  - url: {url}\n    sha256: {wrong}\n")).err().expect("a digest mismatch");
    match &error {
        Error::BundleDigest { entry, expected, actual } => {
            assert!(
                entry.starts_with("entry 1 of plugin-set file ") && entry.contains(&format!("(url {url})")),
                "{entry}"
            );
            assert_eq!((expected, actual), (&wrong, &digest));
        }
        other => panic!("expected BundleDigest, got {other:?}"),
    }
    assert!(
        error.to_string().contains(&format!("the bundle's SHA-256 is {digest}, but the entry pins {wrong}")),
        "{error}"
    );
    // A pinned `bundle:` path is checked the same way.
    let error = load(&format!("  - bundle: {}\n    sha256: {wrong}\n", bundle.display())).err().unwrap();
    assert!(matches!(error, Error::BundleDigest { .. }), "{error}");

    for (entry, problem) in [
        (format!("  - url: {url}\n"), "`url:` needs `sha256:`"),
        (
            format!("  - url: https://example.com/x.zip\n    sha256: {digest}\n"),
            "uses `https:`, which is not supported yet",
        ),
        (format!("  - url: {url}\n    sha256: abc\n"), "`sha256:` `abc` is not a SHA-256 digest"),
        (format!("  - url: {url}\n    bundle: x.zip\n    sha256: {digest}\n"), "has both `bundle:` and `url:`"),
        ("  - id: nothing\n".to_string(), "names no bundle"),
    ] {
        let error = load(&entry).err().expect(problem).to_string();
        assert!(
            error.contains("plugin-set file") && error.contains("entry 1: ") && error.contains(problem),
            "{entry}: {error}"
        );
    }
}

#[test]
fn the_cli_runs_a_stack_across_a_set_and_writes_it_out() {
    let dir = tempfile::tempdir().unwrap();
    let database = support::sample_bundle("devstack-database");
    let set = write_set(
        dir.path(),
        &format!(
            "  - bundle: {}\n  - url: {}\n    sha256: {}\n",
            support::sample_bundle("devstack-api").display(),
            url::Url::from_file_path(&database).unwrap(),
            sha256_of(&database)
        ),
    );
    let out = dir.path().join("stack-out");
    let set_arg = set.to_str().unwrap();
    let output = support::paddock(&[
        "devstack",
        "stack",
        "--set",
        set_arg,
        "--plugins",
        support::sample_bundle("devstack-template").to_str().unwrap(),
        "--distro",
        "ubuntu",
        "--var",
        "DATABASE_PASSWORD=secret",
        "--out",
        out.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    for expected in [
        "  01  devstack-template (devstack-template 1.0.0, priority 0)\n",
        "  02  devstack-database (devstack-database 1.0.0, priority 10)\n",
        "  03  devstack-api (devstack-api 1.0.0, priority 0, requires devstack-database)\n",
        "DATABASE_PASSWORD=secret  # the user\n",
        "conflict: DATABASE_TYPE set by devstack-database (default `mysql`), devstack-api (default `postgresql`)",
        "== System packages (debs, 4) ==\n  cowsay  # devstack-template\n  mysql-server  # devstack-database\n  \
         mysql-client  # devstack-database, devstack-api\n",
        "== stack pre-install (2 fragments) ==\n--- 01-devstack-template-pre-install.sh ---\n",
        "--- 02-devstack-database-pre-install.sh ---\necho_summary",
        "--- 01-devstack-template-extra.sh ---\nif is_service_enabled template; then\n",
        "== stack test-config (0 fragments) ==",
    ] {
        assert!(stdout.contains(expected), "missing {expected:?} in\n{stdout}");
    }
    let read = |path: &str| std::fs::read_to_string(out.join(path)).unwrap();
    assert!(read("settings.sh").contains("export DATABASE_PASSWORD='secret'\n"));
    assert_eq!(read("packages/debs.txt"), "cowsay\nmysql-server\nmysql-client\npython3-pymysql\n");
    assert!(read("stack/03-devstack-api-install.sh").contains("setup_develop"));
    let json: serde_json::Value = serde_json::from_str(&read("devstack.json")).unwrap();
    assert_eq!(json["modes"].as_array().unwrap().len(), 5);
    assert_eq!(json["modes"][2]["phase"], "post-config");

    // unstack over the same directory replaces it whole.
    let output = support::paddock(&["devstack", "unstack", "--set", set_arg, "--out", out.to_str().unwrap()]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(!out.join("stack").exists());
    assert_eq!(read("unstack/01-devstack-database-unstack.sh"), "stop_service mysql\n");
    assert_eq!(read("packages/rpms.txt"), "mariadb-server\nmariadb\npython3-PyMySQL\n");

    for (args, problem) in [
        (vec!["devstack", "clean", "--phase", "install", "--set", set_arg], "--phase is for `stack`"),
        (vec!["devstack", "stack", "--distro", "beos", "--set", set_arg], "unknown distro `beos`"),
        (vec!["devstack", "stack", "--phase", "deploy", "--set", set_arg], "unknown stack phase `deploy`"),
        (vec!["devstack", "stack", "--var", "1X=2", "--set", set_arg], "must match ^[A-Za-z_][A-Za-z0-9_]*$"),
    ] {
        let output = support::paddock(&args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success() && stderr.contains(problem), "{args:?}: {stderr}");
    }
}

#[test]
fn paddock_run_stack_takes_the_phase_from_the_context() {
    let dir = tempfile::tempdir().unwrap();
    let context = dir.path().join("context.yaml");
    std::fs::write(&context, "team: data\nstack_phase: extra\n").unwrap();
    let bundle = support::sample_bundle("devstack-template");
    let plugins = bundle.to_str().unwrap();
    let output = support::paddock(&["run", "stack", "--plugins", plugins, "--context", context.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(
        stdout.contains("DevStack stack fragments (1):\n    | --- 01-devstack-template-stack.sh ---\n"),
        "{stdout}"
    );
    assert!(stdout.contains("cowsay \"Template is up\""), "the extra phase's fragment: {stdout}");

    std::fs::write(&context, "team: data\n").unwrap();
    let output = support::paddock(&["run", "stack", "--plugins", plugins, "--context", context.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success() && stderr.contains("hook `stack` needs `stack_phase` in the context"), "{stderr}");
}
