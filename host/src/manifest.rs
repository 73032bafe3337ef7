//! `plugin-manifest.yaml`: the metadata every bundle carries.

use serde::Deserialize;

/// Largest manifest accepted, checked before YAML parsing (serde_yaml has no size cap).
pub const MAX_MANIFEST_BYTES: usize = 64 * 1024;

/// Longest plugin name accepted.
pub const MAX_NAME_LEN: usize = 64;

/// Most hook names `hooks:` may list.
pub const MAX_DECLARED_HOOKS: usize = 256;

/// Longest hook name `hooks:` may list.
pub const MAX_HOOK_NAME_LEN: usize = 64;

/// Component path used when the manifest names none.
pub const DEFAULT_COMPONENT_PATH: &str = "plugin.wasm";

/// File name of the manifest at the root of a bundle and of a plugin directory.
pub const MANIFEST_FILE: &str = "plugin-manifest.yaml";

/// A validated plugin manifest.
///
/// ```yaml
/// name: skynet-watcher        # required: lowercase letters, digits, single '-'
/// version: 1.2.3              # required: semver
/// url: https://example.com    # optional
/// priority: -1                # optional, default 0; lowest runs first
/// description: Watches jobs   # optional
/// component: plugin.wasm      # optional, default plugin.wasm
/// capabilities:               # optional; each grant must also be allowed by the embedder
///   env: [HTTP_PROXY]
///   bundle-files: true        # read-only view of the bundle's `files/` at `/bundle`
/// hooks: [deploy, job-runtime-env-vars]  # optional: the hooks the plugin says it implements
/// requires: [other-plugin]    # optional: plugins that must be in the set and run before this one
/// provider: true              # optional: a Digital Rebar provider (`paddock:rebar`), not a hook plugin
/// ```
///
/// `requires:` is DevStack's `plugin_requires NAME OTHER`, which Paddock
/// enforces: a set without a required plugin, or whose requirements form a
/// cycle, does not load, and a required plugin runs before the plugins
/// requiring it whatever their priorities (see [`crate::plugin_set`]).
///
/// Built only by [`Manifest::parse`], so every manifest a [`crate::Bundle`]
/// holds has passed the same checks, whoever made it; the fields are read
/// through accessors.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Manifest {
    name: String,
    version: semver::Version,
    url: Option<String>,
    priority: i32,
    description: Option<String>,
    component: String,
    #[serde(skip_serializing_if = "Capabilities::is_empty")]
    capabilities: Capabilities,
    #[serde(skip_serializing_if = "Option::is_none")]
    hooks: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    requires: Vec<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    provider: bool,
}

/// Grants a plugin declares it needs. Everything is denied by default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Capabilities {
    /// Environment variables the plugin reads (e.g. `HTTP_PROXY`). The
    /// embedder decides their values.
    #[serde(default)]
    pub env: Vec<String>,
    /// A read-only view of the files shipped under `files/` in the plugin's
    /// own bundle, mounted at [`BUNDLE_FILES_MOUNT`]. Nothing else of the
    /// host's filesystem becomes visible.
    #[serde(default, rename = "bundle-files", skip_serializing_if = "std::ops::Not::not")]
    pub bundle_files: bool,
}

/// Where a plugin granted `bundle-files` sees them.
pub const BUNDLE_FILES_MOUNT: &str = "/bundle";

/// The folder, in a bundle and in a plugin directory, whose files a plugin
/// granted `bundle-files` can read.
pub const BUNDLE_FILES_DIR: &str = "files";

impl Capabilities {
    /// True when nothing is requested.
    pub fn is_empty(&self) -> bool {
        self.env.is_empty() && !self.bundle_files
    }
}

/// What is wrong with a manifest; the message says which field and what to write.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ManifestError {
    /// The manifest is larger than [`MAX_MANIFEST_BYTES`].
    #[error("plugin-manifest.yaml is {size} bytes; the limit is {MAX_MANIFEST_BYTES} bytes")]
    TooLarge {
        /// Size of the rejected manifest.
        size: usize,
    },
    /// Not valid YAML, a wrong type, an unknown or missing field.
    #[error("plugin-manifest.yaml is not valid: {0}")]
    Syntax(String),
    /// A field is present with a value Paddock does not accept.
    #[error("plugin-manifest.yaml field `{field}` {problem}")]
    Field {
        /// Name of the offending field.
        field: &'static str,
        /// What is wrong and what to write instead.
        problem: String,
    },
}

/// Raw shape of the YAML document. Unknown fields are errors so that typos
/// (`priorty: 5`) do not silently fall back to defaults.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    name: String,
    version: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    priority: i32,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    component: Option<String>,
    // Reserved for later Paddock versions; declared here so the error can say
    // so instead of calling them unknown.
    #[serde(default)]
    parameters: Option<serde_yaml::Value>,
    #[serde(default)]
    capabilities: Capabilities,
    #[serde(default)]
    requires: Vec<String>,
    #[serde(default)]
    hooks: Option<Vec<String>>,
    #[serde(default)]
    provider: bool,
}

impl Manifest {
    /// Parses and validates manifest bytes.
    pub fn parse(bytes: &[u8]) -> Result<Manifest, ManifestError> {
        if bytes.len() > MAX_MANIFEST_BYTES {
            return Err(ManifestError::TooLarge { size: bytes.len() });
        }
        let text =
            std::str::from_utf8(bytes).map_err(|e| ManifestError::Syntax(format!("it is not UTF-8 text ({e})")))?;
        // serde_yaml quotes the offending key or value, which is the bundle
        // author's text.
        let raw: RawManifest = serde_yaml::from_str(text)
            .map_err(|e| ManifestError::Syntax(crate::sanitize::for_terminal(&e.to_string(), 500)))?;
        if raw.parameters.is_some() {
            return Err(ManifestError::Field {
                field: "parameters",
                problem: "is reserved for a later Paddock version and not supported by 0.1; remove it".to_string(),
            });
        }
        validate_name(&raw.name)?;
        validate_requires(&raw.name, &raw.requires)?;
        let version = semver::Version::parse(raw.version.trim()).map_err(|e| ManifestError::Field {
            field: "version",
            problem: crate::sanitize::for_terminal(
                &format!(
                    "is `{}`, which is not a semantic version ({e}); write MAJOR.MINOR.PATCH, e.g. `1.2.3`",
                    raw.version
                ),
                500,
            ),
        })?;
        if let Some(url) = &raw.url {
            validate_single_line("url", url)?;
        }
        if let Some(description) = &raw.description {
            validate_single_line("description", description)?;
        }
        validate_capabilities(&raw.capabilities)?;
        let component = raw.component.unwrap_or_else(|| DEFAULT_COMPONENT_PATH.to_string());
        validate_component_path(&component)?;
        if let Some(hooks) = &raw.hooks {
            validate_declared_hooks(hooks)?;
        }
        if raw.provider && raw.hooks.is_some() {
            return Err(ManifestError::Field {
                field: "hooks",
                problem: "is set on a provider (`provider: true`); a provider exports `paddock:rebar/provider` \
                          and no hooks: remove one of the two fields"
                    .to_string(),
            });
        }
        Ok(Manifest {
            name: raw.name,
            version,
            url: raw.url,
            priority: raw.priority,
            description: raw.description,
            component,
            capabilities: raw.capabilities,
            hooks: raw.hooks,
            requires: raw.requires,
            provider: raw.provider,
        })
    }

    /// Plugin name, unique within a plugin set.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Plugin version.
    pub fn version(&self) -> &semver::Version {
        &self.version
    }

    /// A link to the plugin's page.
    pub fn url(&self) -> Option<&str> {
        self.url.as_deref()
    }

    /// Execution order: lowest first, ties in configured order.
    pub fn priority(&self) -> i32 {
        self.priority
    }

    /// One-line description for operators.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// Path of the WebAssembly component inside the bundle.
    pub fn component(&self) -> &str {
        &self.component
    }

    /// What the plugin asks to be granted beyond the default sandbox. Each
    /// grant must also be allowed by the embedder, or loading fails.
    pub fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    /// The hook names the manifest's `hooks:` lists, in its order; `None`
    /// when it has no `hooks:`. Only their form is checked here, not that
    /// this host knows them or that the component exports them.
    pub fn declared_hooks(&self) -> Option<&[String]> {
        self.hooks.as_deref()
    }

    /// The plugins this one requires (DevStack `plugin_requires`), by
    /// name, in the manifest's order: each must be in the same set, and
    /// runs before this one.
    pub fn requires(&self) -> &[String] {
        &self.requires
    }

    /// Whether the bundle is a Digital Rebar provider (`provider: true`):
    /// loaded with [`crate::provider`], not into a plugin set.
    pub fn is_provider(&self) -> bool {
        self.provider
    }

    /// Serialises the manifest back to YAML (used when writing bundles).
    pub fn to_yaml(&self) -> String {
        // Serialising plain strings and integers cannot fail.
        serde_yaml::to_string(self).unwrap_or_default()
    }
}

/// Checks a plugin name: 1-64 characters, lowercase ASCII letters, digits and
/// single hyphens, starting with a letter and not ending with a hyphen.
pub fn validate_name(name: &str) -> Result<(), ManifestError> {
    match name_problem(name) {
        None => Ok(()),
        Some(problem) => Err(ManifestError::Field {
            field: "name",
            problem: format!(
                "`{}` {problem}; write a name like `my-plugin-2`",
                crate::sanitize::for_terminal(name, 80)
            ),
        }),
    }
}

/// What breaks the plugin-name rules of [`validate_name`], if anything, for
/// callers that check other names by the same rules (plugin ids) and must
/// blame their own field.
pub(crate) fn name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        Some("is empty".to_string())
    } else if name.len() > MAX_NAME_LEN {
        Some(format!("is {} characters long; the limit is {MAX_NAME_LEN}", name.len()))
    } else if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        Some("must start with a lowercase letter".to_string())
    } else if let Some(bad) = name.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')) {
        Some(format!("contains {bad:?}; only lowercase letters, digits and '-' are allowed"))
    } else if name.ends_with('-') || name.contains("--") {
        Some("must not end with '-' or contain '--'".to_string())
    } else {
        None
    }
}

/// Most plugins `requires:` may list.
pub const MAX_REQUIRES: usize = 64;

/// `requires:` entries are plugin names, each once, none the plugin itself.
fn validate_requires(name: &str, requires: &[String]) -> Result<(), ManifestError> {
    let problem = |problem: String| ManifestError::Field { field: "requires", problem };
    if requires.len() > MAX_REQUIRES {
        return Err(problem(format!("lists {} plugins; the limit is {MAX_REQUIRES}", requires.len())));
    }
    for (index, required) in requires.iter().enumerate() {
        if let Some(wrong) = name_problem(required) {
            return Err(problem(format!(
                "entry {} `{}` {wrong}; list the names of required plugins, like `my-plugin-2`",
                index + 1,
                crate::sanitize::for_terminal(required, 80)
            )));
        }
        if required == name {
            return Err(problem(format!(
                "entry {} names the plugin itself; a plugin cannot require itself",
                index + 1
            )));
        }
        if requires[..index].contains(required) {
            return Err(problem(format!("entry {} `{required}` is listed twice; list each plugin once", index + 1)));
        }
    }
    Ok(())
}

/// `hooks:` entries are kebab-case names, each once, and few enough that a
/// manifest cannot make every later check of them expensive.
fn validate_declared_hooks(hooks: &[String]) -> Result<(), ManifestError> {
    let problem = |problem: String| ManifestError::Field { field: "hooks", problem };
    if hooks.len() > MAX_DECLARED_HOOKS {
        return Err(problem(format!(
            "lists {} hooks; the limit is {MAX_DECLARED_HOOKS}; list each hook the plugin implements once",
            hooks.len()
        )));
    }
    for (index, name) in hooks.iter().enumerate() {
        let wrong = if name.is_empty() {
            Some("is empty".to_string())
        } else if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
            Some("must start with a lowercase letter".to_string())
        } else if let Some(bad) = name.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')) {
            Some(format!("contains {bad:?}; only lowercase letters, digits and '-' are allowed"))
        } else if name.len() > MAX_HOOK_NAME_LEN {
            Some(format!("is {} characters long; the limit is {MAX_HOOK_NAME_LEN}", name.len()))
        } else {
            None
        };
        if let Some(wrong) = wrong {
            return Err(problem(format!(
                "entry {} `{}` {wrong}; write kebab-case hook names like `dockerfile-injection`",
                index + 1,
                crate::sanitize::for_terminal(name, 80)
            )));
        }
        if hooks[..index].contains(name) {
            return Err(problem(format!("entry {} `{name}` is listed twice; list each hook once", index + 1)));
        }
    }
    Ok(())
}

fn validate_capabilities(capabilities: &Capabilities) -> Result<(), ManifestError> {
    for (index, name) in capabilities.env.iter().enumerate() {
        let valid = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(ManifestError::Field {
                field: "capabilities",
                problem: format!(
                    "env entry `{}` is not an environment variable name; write names like `HTTP_PROXY`",
                    crate::sanitize::for_terminal(name, 80)
                ),
            });
        }
        if capabilities.env[..index].contains(name) {
            return Err(ManifestError::Field {
                field: "capabilities",
                problem: format!("env entry `{name}` is listed twice"),
            });
        }
    }
    Ok(())
}

/// `inspect` prints these fields as they are, so what a terminal would act
/// on or what would make the line lie about itself is refused here.
fn validate_single_line(field: &'static str, value: &str) -> Result<(), ManifestError> {
    if let Some(bad) = value.chars().find(|&c| crate::sanitize::is_unsafe_for_terminal(c)) {
        return Err(ManifestError::Field {
            field,
            problem: format!(
                "contains U+{:04X}: control characters, line breaks, bidirectional overrides and \
                 zero-width characters are not allowed; write a single line of plain text",
                bad as u32
            ),
        });
    }
    Ok(())
}

fn validate_component_path(path: &str) -> Result<(), ManifestError> {
    let ok = !path.is_empty()
        && !path.starts_with('/')
        && !path.contains('\\')
        && path.split('/').all(|part| !part.is_empty() && part != "." && part != "..")
        && path.ends_with(".wasm")
        && !path.chars().any(crate::sanitize::is_unsafe_for_terminal);
    if ok {
        Ok(())
    } else {
        Err(ManifestError::Field {
            field: "component",
            problem: format!(
                "is `{}`; write a relative path inside the bundle ending in `.wasm`, e.g. `{DEFAULT_COMPONENT_PATH}`",
                crate::sanitize::for_terminal(path, 80)
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(yaml: &str) -> String {
        Manifest::parse(yaml.as_bytes()).unwrap_err().to_string()
    }

    #[test]
    fn parses_the_racetrack_example() {
        let m = Manifest::parse(
            b"name: skynet-watcher\nversion: 1.2.3\nurl: https://github.com/TheRacetrack/racetrack\npriority: -1\n",
        )
        .unwrap();
        assert_eq!(m.name(), "skynet-watcher");
        assert_eq!(m.version(), &semver::Version::new(1, 2, 3));
        assert_eq!(m.url(), Some("https://github.com/TheRacetrack/racetrack"));
        assert_eq!(m.priority(), -1);
        assert_eq!(m.description(), None);
        assert_eq!(m.component(), "plugin.wasm");
        assert_eq!(m.declared_hooks(), None);
    }

    #[test]
    fn rejects_bad_fields_with_what_to_write() {
        assert!(err("version: 1.0.0\n").contains("missing field `name`"));
        assert!(err("name: a\nversion: 1.0.0\npriorty: 3\n").contains("unknown field `priorty`"));
        assert!(err("name: a\nversion: 1.0\n").contains("write MAJOR.MINOR.PATCH"));
        assert!(err("name: My_Plugin\nversion: 1.0.0\n").contains("lowercase"));
        assert!(err("name: a/b\nversion: 1.0.0\n").contains("'/'"));
        assert!(err("name: a\nversion: 1.0.0\npriority: 3000000000\n").contains("priority"));
        assert!(err("name: a\nversion: 1.0.0\npriority: high\n").contains("priority"));
        assert!(err("name: a\nversion: 1.0.0\ncomponent: ../x.wasm\n").contains("relative path"));
        assert!(err("name: a\nversion: 1.0.0\nparameters: {paddock: 1}\n").contains("reserved"));
        assert!(err("name: a\nversion: 1.0.0\nrequires: {paddock: 1}\n").contains("expected a sequence"));
        assert!(err("name: a\nversion: 1.0.0\nrequires: [a]\n").contains("cannot require itself"));
        assert!(err("name: a\nversion: 1.0.0\nrequires: [b, b]\n").contains("listed twice"));
        assert!(err("name: a\nversion: 1.0.0\nrequires: [B]\n").contains("`requires` entry 1 `B`"));
        let m = Manifest::parse(b"name: a\nversion: 1.0.0\nrequires: [b, c]\n").unwrap();
        assert_eq!(m.requires(), ["b", "c"]);
        assert_eq!(Manifest::parse(m.to_yaml().as_bytes()).unwrap(), m);
        assert!(err("name: a\nversion: 1.0.0\ncapabilities: {files: ro}\n").contains("unknown field `files`"));
        assert!(
            err("name: a\nversion: 1.0.0\ncapabilities: {env: [\"A B\"]}\n")
                .contains("not an environment variable name")
        );
        let m = Manifest::parse(b"name: a\nversion: 1.0.0\ncapabilities:\n  env: [HTTP_PROXY]\n").unwrap();
        assert_eq!(m.capabilities().env, ["HTTP_PROXY"]);
    }

    #[test]
    fn errors_quoting_the_manifest_carry_no_terminal_controls() {
        for yaml in [
            "name: a\nversion: \"1.0\\e]0;pwned\\a\"\n",
            "name: a\nversion: 1.0.0\n\"\\e]0;pwned\\a\": 1\n",
            "name: a\nversion: 1.0.0\n\"x\\u202Ey\": 1\n",
            "name: \"a\\e[2J\"\nversion: 1.0.0\n",
        ] {
            let error = err(yaml);
            assert!(!error.chars().any(crate::sanitize::is_unsafe_for_terminal), "{yaml:?}: {error:?}");
            assert!(error.contains("\\u{"), "{yaml:?}: {error}");
        }
    }

    #[test]
    fn single_line_fields_refuse_bidi_and_zero_width_characters() {
        for (field, value) in [
            ("url", "https://example.com/\\u202Egnp.exe"),
            ("description", "safe\\u200Bword"),
            ("description", "isolated\\u2066text"),
            ("description", "tab\\tstop"),
            ("component", "plugin\\u202E.wasm"),
        ] {
            let error = err(&format!("name: a\nversion: 1.0.0\n{field}: \"{value}\"\n"));
            assert!(error.contains(&format!("field `{field}`")), "{error}");
        }
        assert!(Manifest::parse("name: a\nversion: 1.0.0\ndescription: Grüße, 日本\n".as_bytes()).is_ok());
    }

    #[test]
    fn declared_hooks_are_kebab_case_names_each_listed_once() {
        let m =
            Manifest::parse(b"name: a\nversion: 1.0.0\nhooks: [dockerfile-injection, job-runtime-env-vars, v2-hook]\n")
                .unwrap();
        assert_eq!(
            m.declared_hooks(),
            Some(&["dockerfile-injection", "job-runtime-env-vars", "v2-hook"].map(String::from)[..])
        );
        let none = Manifest::parse(b"name: a\nversion: 1.0.0\nhooks: []\n").unwrap();
        assert_eq!(none.declared_hooks(), Some(&[][..]));
        // Not checked against this host's hooks: a later hook is not an error.
        assert!(Manifest::parse(b"name: a\nversion: 1.0.0\nhooks: [post-job-delete]\n").is_ok());

        let long = "h".repeat(MAX_HOOK_NAME_LEN + 1);
        assert!(Manifest::parse(format!("name: a\nversion: 1.0.0\nhooks: [{}]\n", "h".repeat(64)).as_bytes()).is_ok());
        for (hooks, expected) in [
            ("[\"\"]", "entry 1 `` is empty"),
            ("[deploy, Deploy]", "entry 2 `Deploy` must start with a lowercase letter"),
            ("[1st-hook]", "entry 1 `1st-hook` must start with a lowercase letter"),
            ("[-deploy]", "must start with a lowercase letter"),
            ("[job_runtime_env_vars]", "entry 1 `job_runtime_env_vars` contains '_'"),
            ("[\"deploy now\"]", "contains ' '"),
            ("[\"d\\e[2J\"]", "contains '\\u{1b}'"),
            (&format!("[{long}]"), "is 65 characters long; the limit is 64"),
            ("[deploy, destroy, deploy]", "entry 3 `deploy` is listed twice; list each hook once"),
        ] {
            let error = err(&format!("name: a\nversion: 1.0.0\nhooks: {hooks}\n"));
            assert!(error.starts_with("plugin-manifest.yaml field `hooks` "), "{hooks}: {error}");
            assert!(error.contains(expected), "{hooks}: expected `{expected}` in: {error}");
            assert!(!error.chars().any(crate::sanitize::is_unsafe_for_terminal), "{hooks}: {error:?}");
        }
        assert!(err("name: a\nversion: 1.0.0\nhooks: [deploy, \"\"]\n").contains("write kebab-case hook names"));
        assert!(err("name: a\nversion: 1.0.0\nhooks: deploy\n").contains("hooks"));
        assert!(err("name: a\nversion: 1.0.0\nhooks: [[deploy]]\n").contains("hooks"));

        let many: Vec<String> = (0..=MAX_DECLARED_HOOKS).map(|i| format!("hook-{i}")).collect();
        let error = err(&format!("name: a\nversion: 1.0.0\nhooks: [{}]\n", many.join(", ")));
        assert!(error.contains("lists 257 hooks; the limit is 256"), "{error}");
        let most = &many[..MAX_DECLARED_HOOKS];
        let m = Manifest::parse(format!("name: a\nversion: 1.0.0\nhooks: [{}]\n", most.join(", ")).as_bytes()).unwrap();
        assert_eq!(m.declared_hooks().map(<[String]>::len), Some(MAX_DECLARED_HOOKS));
    }

    #[test]
    fn to_yaml_round_trips_and_writes_hooks_only_when_present() {
        let plain = Manifest::parse(b"name: a\nversion: 1.0.0\n").unwrap();
        assert!(!plain.to_yaml().contains("hooks"), "{}", plain.to_yaml());
        assert_eq!(Manifest::parse(plain.to_yaml().as_bytes()).unwrap(), plain);
        let declaring =
            Manifest::parse(b"name: a\nversion: 1.0.0\ncapabilities: {bundle-files: true}\nhooks: [deploy]\n").unwrap();
        assert!(declaring.to_yaml().contains("hooks:\n- deploy\n"), "{}", declaring.to_yaml());
        assert_eq!(Manifest::parse(declaring.to_yaml().as_bytes()).unwrap(), declaring);
    }
}
