//! Tutor (seed 004) with real guests: the `myplugin` port and the
//! parameter-driven `tutor-probe`: configuration prefixing, generated
//! secrets stored once, defaults never stored, `set` conflicts, user
//! overrides, patch order, template errors and the sandbox, init jobs and
//! images, plugin commands, and the environment written atomically.

use std::path::Path;
use std::sync::Arc;

use paddock::hooks::tutor::ArgumentValue;
use paddock::templates::TemplateError;
use paddock::tutor::config::{Source, Value};
use paddock::tutor::{CommandError, Project, TemplateTree, Tutor, TutorError, commands, jobs};
use paddock::{BundleFile, Manifest, ParamValue, Plugin, PluginConfig, PluginSet};

use crate::support;

fn text(value: &str) -> ParamValue {
    ParamValue::Text(value.to_string())
}

/// The `tutor-probe` guest as plugin `name`, shipping `files`.
fn probe(dir: &Path, name: &str, extra: &str, files: &[(&str, &str)]) -> Arc<Plugin> {
    let manifest = Manifest::parse(format!("name: {name}\nversion: 0.0.1\n{extra}").as_bytes()).unwrap();
    let files: Vec<BundleFile> = files
        .iter()
        .map(|(path, text)| BundleFile { path: path.to_string(), contents: text.as_bytes().to_vec() })
        .collect();
    let path = dir.join(format!("{name}.zip"));
    support::write_bundle(manifest, support::component_bytes("tutor-probe"), &files, &path);
    Arc::new(support::host().load_file(&path).unwrap())
}

/// A plugin with the parameters it is configured with.
type Configured<'a> = (Arc<Plugin>, Vec<(&'a str, ParamValue)>);

fn set_of(plugins: Vec<Configured<'_>>) -> PluginSet {
    let mut builder = PluginSet::builder(support::host());
    for (plugin, parameters) in plugins {
        let parameters = parameters.into_iter().map(|(name, value)| (name.to_string(), value)).collect();
        builder = builder.add(plugin, PluginConfig { id: None, parameters }).unwrap();
    }
    builder.build().unwrap()
}

fn myplugin() -> PluginSet {
    let plugin = support::host().load_file(&support::sample_bundle("myplugin")).unwrap();
    PluginSet::builder(support::host()).add(plugin, PluginConfig::default()).unwrap().build().unwrap()
}

fn tutor_env() -> TemplateTree {
    TemplateTree::read_dir(&support::workspace_root().join("sample-plugins/tutor-env")).unwrap()
}

/// A base tree of `files` in a new directory.
fn tree(dir: &Path, files: &[(&str, &str)]) -> TemplateTree {
    let root = dir.join("base");
    for (path, text) in files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    TemplateTree::read_dir(&root).unwrap()
}

fn string(value: Option<&Value>) -> &str {
    value.and_then(Value::as_str).unwrap_or_else(|| panic!("not a string: {value:?}"))
}

fn read(path: impl AsRef<Path>) -> String {
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn myplugin_config_is_prefixed_and_add_values_are_generated_once_and_stored_but_defaults_are_not() {
    let dir = tempfile::tempdir().unwrap();
    let project = Project::new(dir.path().join("project"));
    let set = myplugin();
    let tutor = Tutor::load(&set, Some(tutor_env())).unwrap();
    let first = tutor.save(&project, &[]).unwrap();
    assert_eq!(first.resolved.generated, ["MYSQL_ROOT_PASSWORD", "OPENEDX_SECRET_KEY", "MYPLUGIN_SECRET_KEY"]);
    let secret = string(first.resolved.values.get("MYPLUGIN_SECRET_KEY")).to_string();
    assert!(secret.len() == 8 && secret.bytes().all(|b| b.is_ascii_alphanumeric()), "{secret}");
    assert_eq!(string(first.resolved.values.get("MYPLUGIN_DOCKER_IMAGE")), "username/imagename:latest");
    assert_eq!(first.resolved.sources["MYPLUGIN_DOCKER_IMAGE"], Source::PluginDefault("myplugin".into()));
    assert!(!first.resolved.values.contains_key("SECRET_KEY") && !first.resolved.values.contains_key("DOCKER_IMAGE"));
    // `set` is not prefixed, and overrides the base config's default: a conflict.
    assert_eq!(string(first.resolved.values.get("MASTER_PASSWORD")), "h4cked");
    assert_eq!(first.resolved.conflicts.len(), 1, "{:?}", first.resolved.conflicts);
    let conflict = &first.resolved.conflicts[0];
    assert_eq!((conflict.key.as_str(), &conflict.defined_by), ("MASTER_PASSWORD", &Source::BaseDefault));
    assert_eq!(conflict.kept, Source::PluginSet("myplugin".into()));
    assert!(conflict.to_string().contains("MASTER_PASSWORD is set by plugin `myplugin`"), "{conflict}");

    // Stored: the generated keys, not the defaults nor the sets.
    let stored = read(project.config_file());
    assert!(stored.contains(&format!("MYPLUGIN_SECRET_KEY: {secret}")), "{stored}");
    assert!(stored.contains("MYSQL_ROOT_PASSWORD:"), "{stored}");
    for absent in ["DOCKER_IMAGE", "MASTER_PASSWORD", "PLATFORM_NAME"] {
        assert!(!stored.contains(absent), "{absent} stored: {stored}");
    }

    // A second run keeps every generated value and generates nothing.
    let second = Tutor::load(&set, Some(tutor_env())).unwrap().save(&project, &[]).unwrap();
    assert!(second.resolved.generated.is_empty());
    assert_eq!(string(second.resolved.values.get("MYPLUGIN_SECRET_KEY")), secret);
    assert_eq!(read(project.config_file()), stored);
    // Printing a value stores nothing and sees the defaults.
    let printed = tutor.config(&project, &[]).unwrap();
    assert_eq!(printed.print_value("MYPLUGIN_DOCKER_IMAGE").unwrap(), "username/imagename:latest");
    assert_eq!(printed.print_value("RUN_MYSQL").unwrap(), "true");
    assert!(matches!(printed.print_value("NOPE"), Err(TutorError::UnknownKey { .. })));
}

#[test]
fn user_overrides_are_stored_and_win_over_defaults_and_plugin_sets() {
    let dir = tempfile::tempdir().unwrap();
    let project = Project::new(dir.path().join("project"));
    let set = myplugin();
    let tutor = Tutor::load(&set, Some(tutor_env())).unwrap();
    // Nothing saved yet: printing needs the generated keys, and says how to get them.
    let error = tutor.config(&project, &[]).unwrap_err().to_string();
    assert!(error.contains("MYSQL_ROOT_PASSWORD (the base config) is not in"), "{error}");
    assert!(error.contains("run `paddock config save` first"), "{error}");

    let overrides = [
        ("MYPLUGIN_DOCKER_IMAGE".to_string(), "me/mine:2".to_string()),
        ("MASTER_PASSWORD".to_string(), "mine".to_string()),
        ("RUN_MYSQL".to_string(), "false".to_string()),
    ];
    let saved = tutor.save(&project, &overrides).unwrap();
    assert_eq!(string(saved.resolved.values.get("MYPLUGIN_DOCKER_IMAGE")), "me/mine:2");
    assert_eq!(saved.resolved.values.get("RUN_MYSQL"), Some(&Value::Bool(false)));
    assert_eq!(string(saved.resolved.values.get("MASTER_PASSWORD")), "mine");
    let conflict = &saved.resolved.conflicts[0];
    assert_eq!((conflict.key.as_str(), &conflict.kept), ("MASTER_PASSWORD", &Source::User));
    let stored = read(project.config_file());
    assert!(stored.contains("MYPLUGIN_DOCKER_IMAGE: me/mine:2") && stored.contains("RUN_MYSQL: false"), "{stored}");
    // The override reaches the templates: no MySQL service, the new image in the job.
    let compose = read(project.env_dir().join("local/docker-compose.yml"));
    assert!(!compose.contains("mysql"), "{compose}");
    let jobs_file = read(project.env_dir().join("local/docker-compose.jobs.yml"));
    assert!(jobs_file.contains("  myservice-job:\n    image: me/mine:2"), "{jobs_file}");
    // Stored, so later runs keep it without --set.
    let later = tutor.config(&project, &[]).unwrap();
    assert_eq!(later.print_value("MYPLUGIN_DOCKER_IMAGE").unwrap(), "me/mine:2");

    for bad in [("lower", "x"), ("KEY", "[unclosed")] {
        let error = tutor.save(&project, &[(bad.0.into(), bad.1.into())]).unwrap_err();
        assert!(matches!(error, TutorError::Override { .. }), "{error}");
    }
}

#[test]
fn a_set_of_another_plugins_key_is_a_conflict_naming_both_and_the_first_set_wins() {
    let dir = tempfile::tempdir().unwrap();
    let project = Project::new(dir.path().join("project"));
    let set = set_of(vec![
        (
            probe(dir.path(), "alpha", "", &[]),
            vec![("add:TOKEN", text("{{ 12|random_string }}")), ("default:COLOR", text("red"))],
        ),
        (
            probe(dir.path(), "beta-two", "", &[]),
            vec![("set:ALPHA_COLOR", text("blue")), ("set:SHARED", text("beta")), ("set:ALPHA_TOKEN", text("x"))],
        ),
        (
            probe(dir.path(), "gamma", "", &[]),
            vec![("set:SHARED", text("gamma")), ("default:SIZE", text("{{ ALPHA_COLOR }}-l"))],
        ),
    ]);
    let saved = Tutor::load(&set, None).unwrap().save(&project, &[]).unwrap();
    let values = &saved.resolved.values;
    assert_eq!(string(values.get("ALPHA_TOKEN")).len(), 12);
    assert_eq!(string(values.get("ALPHA_COLOR")), "blue");
    assert_eq!(string(values.get("SHARED")), "beta");
    // Defaults render with what is set before them; `beta-two` prefixes as BETA_TWO_.
    assert_eq!(string(values.get("GAMMA_SIZE")), "blue-l");
    let conflicts: Vec<(String, String, Source, Source)> = saved
        .resolved
        .conflicts
        .iter()
        .map(|c| (c.key.clone(), c.plugin.clone(), c.defined_by.clone(), c.kept.clone()))
        .collect();
    let (alpha, beta) = (|| "alpha".to_string(), || "beta-two".to_string());
    assert_eq!(
        conflicts,
        [
            ("ALPHA_COLOR".into(), beta(), Source::PluginDefault(alpha()), Source::PluginSet(beta())),
            // A stored value (the generated `add`) wins over a set.
            ("ALPHA_TOKEN".into(), beta(), Source::PluginAdd(alpha()), Source::PluginAdd(alpha())),
            ("SHARED".into(), "gamma".into(), Source::PluginSet(beta()), Source::PluginSet(beta())),
        ]
    );
}

#[test]
fn patches_are_joined_in_plugin_order_and_rendered_with_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let base = tree(
        dir.path(),
        &[("out.txt", "{{ patch(\"greeting\") }}|{{ patch(\"greeting\", \", \") }}|{{ patch(\"none\") }}|\n")],
    );
    let first = (probe(dir.path(), "first", "", &[]), vec![("patch:greeting", text("one"))]);
    let second = (
        probe(dir.path(), "second", "", &[]),
        vec![("patch:greeting", text("two {{ SECOND_WORD }}")), ("default:WORD", text("words"))],
    );
    let save = |set: PluginSet, name: &str| {
        let project = Project::new(dir.path().join(name));
        Tutor::load(&set, Some(base.clone())).unwrap().save(&project, &[]).unwrap();
        read(project.env_dir().join("out.txt"))
    };
    assert_eq!(save(set_of(vec![first.clone(), second.clone()]), "a"), "one\ntwo words|one, two words||\n");
    // Priority orders the set, and with it the patches.
    let early = (probe(dir.path(), "early", "priority: -1\n", &[]), vec![("patch:greeting", text("zero"))]);
    assert_eq!(save(set_of(vec![first, second, early]), "b"), "zero\none\ntwo words|zero, one, two words||\n");
}

#[test]
fn an_undefined_variable_is_an_error_naming_the_file_and_line_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let project = Project::new(dir.path().join("project"));
    let base = tree(dir.path(), &[("apps/ok.yml", "a: 1\n"), ("apps/bad.yml", "a: 1\nb: 2\nc: {{ NOT_A_KEY }}\n")]);
    let set = set_of(vec![(probe(dir.path(), "p", "", &[]), vec![("add:KEY", text("{{ 4|random_string }}"))])]);
    let error = Tutor::load(&set, Some(base)).unwrap().save(&project, &[]).unwrap_err();
    let TutorError::Template { origin, error: TemplateError::Render { template, line, message } } = &error else {
        panic!("expected a template error, got {error}");
    };
    assert_eq!((origin.as_str(), template.as_str(), *line), ("the base templates", "apps/bad.yml", Some(3)));
    assert!(message.contains("undefined") && message.contains("NOT_A_KEY"), "{message}");
    assert!(!project.root().exists(), "a failed save wrote {}", project.root().display());

    // In a plugin's own template, the error names the plugin.
    let broken = probe(dir.path(), "broken", "", &[("templates/broken/x.txt", "{{ nope }}")]);
    let error =
        Tutor::load(&set_of(vec![(broken, vec![])]), None).unwrap().save(&project, &[]).unwrap_err().to_string();
    assert!(error.contains("plugin `broken` 0.0.1, its templates: template `broken/x.txt` line 1"), "{error}");
    // And in a config value, the plugin and key.
    let value = probe(dir.path(), "value", "", &[]);
    let error = Tutor::load(&set_of(vec![(value, vec![("default:X", text("{{ Y }}"))])]), None)
        .unwrap()
        .save(&project, &[])
        .unwrap_err()
        .to_string();
    assert!(error.contains("plugin `value` 0.0.1, config default `VALUE_X`"), "{error}");
    assert!(!project.root().exists());
}

#[test]
fn a_template_cannot_reach_outside_its_own_tree() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("secret.txt"), "s3cret").unwrap();
    let project = Project::new(dir.path().join("project"));
    let outside = tree(dir.path(), &[("x.txt", "{% include \"../secret.txt\" %}")]);
    let error = Tutor::load(&set_of(vec![]), Some(outside)).unwrap().save(&project, &[]).unwrap_err().to_string();
    assert!(
        error.contains("template `x.txt` line 1: tried to include non-existing template \"../secret.txt\""),
        "{error}"
    );
    assert!(!error.contains("s3cret"));
    // A plugin's templates do not see the base tree, nor another plugin's.
    let base = tree(&dir.path().join("second"), &[("local/compose.yml", "base")]);
    let peeker = probe(dir.path(), "peeker", "", &[("templates/peeker/x", "{% include \"local/compose.yml\" %}")]);
    let error =
        Tutor::load(&set_of(vec![(peeker, vec![])]), Some(base)).unwrap().save(&project, &[]).unwrap_err().to_string();
    assert!(error.contains("plugin `peeker` 0.0.1") && error.contains("local/compose.yml"), "{error}");
    assert!(!project.root().exists());
    // A symbolic link in a tree is refused when it is read.
    let linked = dir.path().join("linked");
    std::fs::create_dir_all(&linked).unwrap();
    std::os::unix::fs::symlink(dir.path().join("secret.txt"), linked.join("leak.txt")).unwrap();
    let error = TemplateTree::read_dir(&linked).unwrap_err().to_string();
    assert!(error.contains("is a symbolic link"), "{error}");
}

#[test]
fn partials_and_binaries_are_handled_as_tutor_does() {
    let dir = tempfile::tempdir().unwrap();
    let project = Project::new(dir.path().join("project"));
    let base = tree(
        dir.path(),
        &[
            ("apps/partials/head.txt", "head {{ P_NAME }}"),
            ("apps/page.txt", "{% include \"apps/partials/head.txt\" %}\nbody\n"),
            ("apps/logo.png", "{{ not rendered }}"),
            ("apps/.hidden", "x"),
        ],
    );
    let set = set_of(vec![(probe(dir.path(), "p", "", &[]), vec![("default:NAME", text("demo"))])]);
    let saved = Tutor::load(&set, Some(base)).unwrap().save(&project, &[]).unwrap();
    let paths: Vec<&str> = saved.env.files().iter().map(|(path, _)| path.as_str()).collect();
    assert_eq!(paths, ["apps/logo.png", "apps/page.txt"]);
    assert_eq!(read(project.env_dir().join("apps/page.txt")), "head demo\nbody\n");
    assert_eq!(read(project.env_dir().join("apps/logo.png")), "{{ not rendered }}");
}

#[test]
fn init_jobs_and_images_are_listed_in_order_with_what_each_needs_rendered() {
    let dir = tempfile::tempdir().unwrap();
    let project = Project::new(dir.path().join("project"));
    let plugin = support::host().load_file(&support::sample_bundle("myplugin")).unwrap();
    let db =
        probe(dir.path(), "db", "", &[("templates/db/hooks/mysql/init", "mysql -e 'CREATE DATABASE {{ DB_NAME }}'\n")]);
    let set = PluginSet::builder(support::host())
        .add(plugin, PluginConfig::default())
        .unwrap()
        .add(
            db,
            PluginConfig {
                id: None,
                parameters: vec![
                    ("pre-init".into(), ParamValue::TextList(vec!["mysql".into()])),
                    ("default:NAME".into(), text("openedx")),
                    ("remote:mysql".into(), text("docker.io/mysql:5.6")),
                ],
            },
        )
        .unwrap()
        .build()
        .unwrap();
    let tutor = Tutor::load(&set, Some(tutor_env())).unwrap();
    let saved = tutor.save(&project, &[]).unwrap();
    let listed = jobs::init_jobs(&tutor, &saved.env).unwrap();
    let order: Vec<(jobs::Phase, &str, &str)> =
        listed.iter().map(|job| (job.phase, job.plugin.as_str(), job.service.as_str())).collect();
    assert_eq!(order, [(jobs::Phase::PreInit, "db", "mysql"), (jobs::Phase::Init, "myplugin", "myservice")]);
    assert_eq!(listed[0].commands, "mysql -e 'CREATE DATABASE openedx'\n");
    assert!(listed[1].commands.contains("with a 8-character secret key"), "{}", listed[1].commands);
    assert!(listed[1].commands.contains("admin@www.myopenedx.com"), "{}", listed[1].commands);
    assert_eq!(listed[1].template, "plugins/myplugin/hooks/myservice/init");

    let built = jobs::build_images(&tutor, &saved.env).unwrap();
    assert_eq!(built.len(), 1);
    assert_eq!((built[0].name.as_str(), built[0].tag.as_str()), ("myimage", "myimage:latest"));
    let context = built[0].context.as_deref().unwrap();
    let dockerfile = read(project.env_dir().join(context).join("Dockerfile"));
    assert!(
        dockerfile.starts_with("FROM username/imagename:latest\nENV PLATFORM_NAME=\"My Open edX\""),
        "{dockerfile}"
    );
    let remote: Vec<(String, String)> =
        jobs::remote_images(&tutor).unwrap().into_iter().map(|image| (image.plugin, image.name)).collect();
    assert_eq!(remote, [("myplugin".to_string(), "myimage".to_string()), ("db".to_string(), "mysql".to_string())]);

    // A service or image without its template: an error naming plugin, service and path.
    let lacking = probe(dir.path(), "lacking", "", &[]);
    let set = set_of(vec![(
        lacking,
        vec![("init", ParamValue::TextList(vec!["worker".into()])), ("build:worker", text("worker:1"))],
    )]);
    let tutor = Tutor::load(&set, None).unwrap();
    let env = paddock::tutor::render::render(&tutor, &tutor.config(&project, &[]).unwrap()).unwrap();
    let error = jobs::init_jobs(&tutor, &env).unwrap_err().to_string();
    assert_eq!(
        error,
        "plugin `lacking` 0.0.1: hook `tutor-init`: service `worker` has no template; ship it in the bundle as \
         files/templates/lacking/hooks/worker/init"
    );
    let error = jobs::build_images(&tutor, &env).unwrap_err().to_string();
    assert!(
        error.contains("image `worker` has no template")
            && error.contains("files/templates/lacking/build/worker/Dockerfile")
    );
    // Saving checks the same before writing anything.
    let fresh = Project::new(dir.path().join("fresh"));
    let error = tutor.save(&fresh, &[]).unwrap_err().to_string();
    assert!(error.contains("service `worker` has no template"), "{error}");
    assert!(!fresh.root().exists());
}

#[test]
fn command_lines_are_checked_against_the_declaration_before_the_plugin_runs() {
    let set = myplugin();
    let words = |line: &str| line.split_whitespace().map(str::to_string).collect::<Vec<_>>();
    let run = |command: &str, line: &str| commands::run(&set, "myplugin", command, &words(line));
    assert_eq!(run("hello", "").unwrap(), "Hello from myplugin!");
    assert_eq!(run("greet", "bob --times 2").unwrap(), "Hello, bob!\nHello, bob!");
    assert_eq!(run("greet", "--tone=dry --shout ann").unwrap(), "HELLO, ANN.");
    // Refused by the host (a CommandError: the plugin was not called).
    for (line, expected) in [
        ("bob --times two", "option `--times`: `two` is not a whole number"),
        ("bob --loud", "unknown option `--loud`; the options are: --times, --shout, --tone"),
        ("--times 2", "missing argument `NAME`"),
        ("bob --tone hot", "`hot` is not one of warm, dry"),
    ] {
        match run("greet", line) {
            Err(TutorError::Command(CommandError::BadArguments { plugin, command, problem, .. })) => {
                assert_eq!((plugin.as_str(), command.as_str()), ("myplugin", "greet"));
                assert!(problem.contains(expected), "{line}: {problem}");
            }
            other => panic!("{line}: expected the host to refuse it, got {other:?}"),
        }
    }
    assert!(matches!(run("fly", ""), Err(TutorError::Command(CommandError::UnknownCommand { .. }))));
    let error = commands::run(&set, "nobody", "hello", &[]).unwrap_err().to_string();
    assert_eq!(error, "no plugin `nobody` in the set; the plugins are: myplugin");
    // What passes the declaration reaches the plugin, which can still refuse it.
    match run("greet", "bob --times 11") {
        Err(TutorError::Hook(failure)) => assert!(failure.to_string().contains("--times must be 1 to 10"), "{failure}"),
        other => panic!("expected the plugin's own refusal, got {other:?}"),
    }
    let (_, _, specs) = commands::commands_of(&set, "myplugin").unwrap();
    let call = commands::parse("myplugin", "0.1.0", &specs[1], &words("bob")).unwrap();
    assert_eq!(call.arguments()[1], ("times".to_string(), ArgumentValue::Integer(1)));
    let help = commands::help_lines(&specs).join("\n");
    assert!(help.contains("greet NAME [--times N] [--shout] [--tone [warm|dry]]"), "{help}");
}

#[test]
fn the_environment_is_replaced_whole_and_never_over_a_directory_paddock_did_not_write() {
    let dir = tempfile::tempdir().unwrap();
    let project = Project::new(dir.path().join("project"));
    let set = set_of(vec![(probe(dir.path(), "p", "", &[]), vec![])]);
    // An env/ someone else made: refused, and config.yml is not written either.
    std::fs::create_dir_all(project.env_dir()).unwrap();
    std::fs::write(project.env_dir().join("mine.txt"), "keep").unwrap();
    let error = Tutor::load(&set, Some(tree(dir.path(), &[("a.txt", "a")]))).unwrap().save(&project, &[]).unwrap_err();
    assert!(error.to_string().contains("exists and paddock did not write it"), "{error}");
    assert_eq!(read(project.env_dir().join("mine.txt")), "keep");
    assert!(!project.config_file().exists());
    std::fs::remove_dir_all(project.env_dir()).unwrap();

    let first = tree(&dir.path().join("one"), &[("a.txt", "a"), ("gone.txt", "g")]);
    Tutor::load(&set, Some(first)).unwrap().save(&project, &[]).unwrap();
    assert!(project.env_dir().join(paddock::fsutil::OUTPUT_MARKER).is_file());
    let second = tree(&dir.path().join("two"), &[("a.txt", "A")]);
    Tutor::load(&set, Some(second)).unwrap().save(&project, &[]).unwrap();
    assert_eq!(read(project.env_dir().join("a.txt")), "A");
    assert!(!project.env_dir().join("gone.txt").exists(), "a file of the previous render survived");
    // Nothing but the project is left beside it: no staging or old directories.
    let beside: Vec<String> = std::fs::read_dir(project.root())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let mut beside = beside;
    beside.sort();
    assert_eq!(beside, ["config.yml", "env"]);
}

#[test]
fn the_cli_saves_prints_lists_and_runs_plugin_commands() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("project");
    let bundle = support::sample_bundle("myplugin");
    let (root, bundle) = (root.to_str().unwrap(), bundle.to_str().unwrap());
    let project = ["--root", root, "--templates", "sample-plugins/tutor-env", "--plugins", bundle];
    let run = |args: &[&str]| {
        let output = support::paddock(args);
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (code, out, err) = run(&[&["config", "save", "--set", "PLATFORM_NAME=Demo"][..], &project].concat());
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("(generated MYSQL_ROOT_PASSWORD, OPENEDX_SECRET_KEY, MYPLUGIN_SECRET_KEY)"), "{out}");
    assert!(out.contains("conflict: MASTER_PASSWORD is set by plugin `myplugin`"), "{out}");
    let (code, out, err) = run(&[&["config", "printvalue", "MYPLUGIN_DOCKER_IMAGE"][..], &project].concat());
    assert_eq!((code, out.as_str()), (Some(0), "username/imagename:latest\n"), "{err}");
    let (_, out, _) = run(&[&["config", "printvalue", "PLATFORM_NAME"][..], &project].concat());
    assert_eq!(out, "Demo\n");
    let (code, out, err) = run(&[&["init", "list"][..], &project].concat());
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.starts_with(
            "== init myservice (myplugin, env/plugins/myplugin/hooks/myservice/init) ==\n./manage.py migrate"
        ),
        "{out}"
    );
    let (_, out, _) = run(&[&["images", "list"][..], &project].concat());
    assert!(
        out.contains("myimage -> myimage:latest (myplugin; Dockerfile in env/plugins/myplugin/build/myimage)"),
        "{out}"
    );

    let (code, out, err) = run(&["plugins", "run", "--plugins", bundle, "myplugin", "--help"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("Commands of plugin `myplugin` 0.1.0:\n  hello\n      I'm a plugin command\n"), "{out}");
    let (code, out, _) = run(&["plugins", "run", "--plugins", bundle, "myplugin", "greet", "bob", "--shout"]);
    assert_eq!((code, out.as_str()), (Some(0), "HELLO, BOB!\n"));
    let (code, _, err) = run(&["plugins", "run", "--plugins", bundle, "myplugin", "greet", "bob", "--times", "x"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("command `greet`: option `--times`: `x` is not a whole number"), "{err}");
}
