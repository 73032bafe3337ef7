//! Rendering the environment (Tutor `config save` / `env.save`): the base
//! template tree into `env/`, each plugin's `files/templates/NAME/` into
//! `env/plugins/NAME/`, with the configuration's keys as variables,
//! `{{ patch("name") }}` and Tutor's filters (`random_string`,
//! `common_domain`, `reverse_host`, `list_if`).
//!
//! Sandboxed as [`crate::templates`] is: a tree's templates see only that
//! tree (`{% include %}` resolves there, so a name reaching outside it is
//! not found), an undefined variable is an error naming the file and line,
//! and every render runs on a fuel budget. As in Tutor, files in a
//! `partials/` directory are only included, never rendered on their own;
//! `.ico`, `.jpg`, `.png` and `.ttf` files are copied as they are; names
//! starting with `.`, `__pycache__` and `*.pyc` are left out. The base
//! tree's top-level `config/` holds its configuration (`config/base.yml`:
//! keys stored once generated, like a plugin's `add`; `config/defaults.yml`:
//! defaults) and is not rendered.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use minijinja::{Error, ErrorKind, Value as Jinja};

use super::config::{Resolved, Value, read_mapping};
use super::{Tutor, TutorError};
use crate::sanitize::for_terminal;
use crate::templates::render_error;

/// Most files in a tree read from disk.
const MAX_TREE_FILES: usize = 10_000;
/// Largest file in a tree read from disk.
const MAX_TREE_FILE_BYTES: u64 = 4 * 1024 * 1024;
/// Most bytes a tree read from disk, or a rendered environment, holds.
const MAX_TOTAL_BYTES: usize = 64 * 1024 * 1024;
/// Deepest directory nesting in a tree.
const MAX_DEPTH: usize = 32;
/// Longest `random_string`.
const MAX_RANDOM_LENGTH: usize = 4_096;
/// Copied, not rendered (Tutor's `is_binary_file`).
const BINARY_EXTENSIONS: [&str; 4] = [".ico", ".jpg", ".png", ".ttf"];

/// A template tree the embedder provides: its files by `/`-separated path,
/// and the configuration in its `config/`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TemplateTree {
    files: Vec<(String, Vec<u8>)>,
    /// `config/base.yml`, in order: stored once generated.
    pub(crate) added: Vec<(String, Value)>,
    /// `config/defaults.yml`, in order: never stored.
    pub(crate) defaults: Vec<(String, Value)>,
}

impl TemplateTree {
    /// Reads the tree at `dir`, capped (files, bytes, depth). A symbolic
    /// link is refused: a tree holds only its own files.
    pub fn read_dir(dir: &Path) -> Result<TemplateTree, TutorError> {
        let fail = |path: &Path, problem: String| TutorError::File {
            path: for_terminal(&path.display().to_string(), 1_000),
            problem,
        };
        let mut files = Vec::new();
        let mut total = 0usize;
        let mut pending = vec![(dir.to_path_buf(), String::new(), 0usize)];
        while let Some((path, name, depth)) = pending.pop() {
            let metadata = std::fs::symlink_metadata(&path).map_err(|e| fail(&path, format!("cannot read: {e}")))?;
            if metadata.file_type().is_symlink() {
                return Err(fail(&path, "is a symbolic link; a template tree holds only its own files".into()));
            }
            if metadata.is_dir() {
                if depth > MAX_DEPTH {
                    return Err(fail(&path, format!("is nested deeper than the limit of {MAX_DEPTH} directories")));
                }
                let entries = std::fs::read_dir(&path).map_err(|e| fail(&path, format!("cannot read: {e}")))?;
                for entry in entries {
                    let entry = entry.map_err(|e| fail(&path, format!("cannot read: {e}")))?;
                    let file_name = entry.file_name();
                    let Some(file_name) = file_name.to_str() else {
                        return Err(fail(&entry.path(), "has a name that is not UTF-8".into()));
                    };
                    let child = if name.is_empty() { file_name.to_string() } else { format!("{name}/{file_name}") };
                    pending.push((entry.path(), child, depth + 1));
                }
                continue;
            }
            if files.len() >= MAX_TREE_FILES {
                return Err(fail(dir, format!("holds more than the limit of {MAX_TREE_FILES} files")));
            }
            let bytes = crate::fsutil::read_regular_capped(&path, MAX_TREE_FILE_BYTES)
                .map_err(|e| fail(&path, e.to_string()))?;
            total += bytes.len();
            if total > MAX_TOTAL_BYTES {
                return Err(fail(dir, format!("holds more than the limit of {MAX_TOTAL_BYTES} bytes")));
            }
            files.push((name, bytes));
        }
        files.sort();
        let config = |file: &str| {
            let path = dir.join("config").join(file);
            if path.exists() { read_mapping(&path) } else { Ok(Vec::new()) }
        };
        let (added, defaults) = (config("base.yml")?, config("defaults.yml")?);
        files.retain(|(name, _)| !name.starts_with("config/"));
        Ok(TemplateTree { files, added, defaults })
    }

    /// The tree's files (its `config/` aside), by path.
    pub fn files(&self) -> impl Iterator<Item = &str> {
        self.files.iter().map(|(name, _)| name.as_str())
    }
}

/// A rendered environment: files by path below `env/`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RenderedEnv {
    files: Vec<(String, Vec<u8>)>,
}

impl RenderedEnv {
    /// Every file, by path, in order.
    pub fn files(&self) -> &[(String, Vec<u8>)] {
        &self.files
    }

    /// One file's contents.
    pub fn file(&self, path: &str) -> Option<&[u8]> {
        self.files.iter().find(|(name, _)| name == path).map(|(_, bytes)| bytes.as_slice())
    }

    /// Writes it as `dir`, all at once; `dir` must be new or one Paddock
    /// wrote ([`crate::fsutil::replace_dir`]).
    pub fn write(&self, dir: &Path) -> Result<(), TutorError> {
        Ok(crate::fsutil::replace_dir(dir, &self.files)?)
    }
}

fn failed(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, message.into())
}

/// `{{ 8|random_string }}`: ASCII letters and digits from the operating
/// system's CSPRNG.
fn random_string(length: usize) -> Result<String, Error> {
    const ALPHABET: &[u8; 62] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    if length > MAX_RANDOM_LENGTH {
        return Err(failed(format!("random_string of {length} characters; the limit is {MAX_RANDOM_LENGTH}")));
    }
    let mut out = String::with_capacity(length);
    let mut bytes = [0u8; 64];
    while out.len() < length {
        getrandom::fill(&mut bytes).map_err(|e| failed(format!("the system's random source failed: {e}")))?;
        // 248 = 4 * 62: dropping the bytes above keeps every character equally likely.
        for byte in bytes.iter().filter(|byte| **byte < 248) {
            if out.len() == length {
                break;
            }
            out.push(ALPHABET[usize::from(*byte % 62)] as char);
        }
    }
    Ok(out)
}

/// `{{ "studio.demo.myopenedx.com"|common_domain("lms.demo.myopenedx.com") }}` is `demo.myopenedx.com`.
fn common_domain(first: &str, second: &str) -> String {
    let common: Vec<&str> =
        first.rsplit('.').zip(second.rsplit('.')).take_while(|(a, b)| a == b).map(|(label, _)| label).collect();
    common.into_iter().rev().collect::<Vec<_>>().join(".")
}

/// `{{ "demo.myopenedx.com"|reverse_host }}` is `com.myopenedx.demo`.
fn reverse_host(domain: &str) -> String {
    domain.rsplit('.').collect::<Vec<_>>().join(".")
}

/// `{{ [("lms", True), ("cms", False)]|list_if }}` is `["lms"]`.
fn list_if(pairs: Vec<Jinja>) -> Result<Vec<Jinja>, Error> {
    pairs
        .into_iter()
        .filter_map(|pair| match (pair.get_item_by_index(0), pair.get_item_by_index(1)) {
            (Ok(value), Ok(condition)) if !value.is_undefined() && !condition.is_undefined() => {
                condition.is_true().then_some(Ok(value))
            }
            _ => Some(Err(failed("list_if takes a list of (value, condition) pairs"))),
        })
        .collect()
}

/// The sandboxed environment with Tutor's filters and no templates: what
/// configuration values render in.
pub(crate) fn values_env() -> minijinja::Environment<'static> {
    let mut env = crate::templates::sandboxed();
    // Tutor's Jinja environment escapes nothing: its templates are YAML,
    // shell, Dockerfiles and configuration, never HTML pages.
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    env.add_filter("random_string", random_string);
    env.add_filter("common_domain", common_domain);
    env.add_filter("reverse_host", reverse_host);
    env.add_filter("list_if", list_if);
    env
}

/// Each patch name's snippets, rendered, in plugin order.
type Patches = BTreeMap<String, Vec<String>>;

fn rendered_patches(tutor: &Tutor<'_>, context: &Jinja) -> Result<Patches, TutorError> {
    let env = values_env();
    let mut patches = Patches::new();
    for plugin in tutor.plugins() {
        for (name, snippet) in &plugin.patches {
            let rendered = env.render_str(snippet, context).map_err(|error| TutorError::Template {
                origin: format!("{}, patch `{name}`", plugin.label()),
                error: render_error("patch", &error),
            })?;
            patches.entry(name.clone()).or_default().push(rendered);
        }
    }
    Ok(patches)
}

/// One tree to render: template names, where each lands below `env/`.
struct Tree<'f> {
    origin: String,
    /// Template name, output path, contents.
    files: Vec<(String, String, &'f [u8])>,
}

fn is_part_of_env(name: &str) -> bool {
    let base = name.rsplit('/').next().unwrap_or(name);
    !(base.starts_with('.')
        || base.ends_with(".pyc")
        || name.split('/').any(|part| part == "partials" || part == "__pycache__"))
}

/// Renders `tree` into `out`, `total` counting the bytes of `out`.
fn render_tree(
    tree: &Tree<'_>,
    context: &Jinja,
    patches: &Arc<Patches>,
    out: &mut Vec<(String, Vec<u8>)>,
    total: &mut usize,
) -> Result<(), TutorError> {
    let mut env = values_env();
    let shared = Arc::clone(patches);
    env.add_function("patch", move |name: &str, separator: Option<&str>, suffix: Option<&str>| {
        let snippets = shared.get(name).map(Vec::as_slice).unwrap_or_default();
        let mut joined = snippets.join(separator.unwrap_or("\n"));
        if !joined.is_empty() {
            joined.push_str(suffix.unwrap_or_default());
        }
        joined
    });
    let fail = |name: &str, error: &Error| {
        let mut described = render_error(name, error);
        // Jinja's "undefined value" does not say which: the line does.
        if let (
            crate::templates::TemplateError::Render { template, line: Some(line), message },
            ErrorKind::UndefinedError,
        ) = (&mut described, error.kind())
        {
            let source = tree.files.iter().find(|(file, _, _)| file == template).map(|(_, _, bytes)| *bytes);
            let text = source.and_then(|bytes| {
                String::from_utf8_lossy(bytes).lines().nth(line.saturating_sub(1)).map(str::to_string)
            });
            if let Some(text) = text {
                message.push_str(&format!(" in `{}`", for_terminal(text.trim(), 200)));
            }
        }
        TutorError::Template { origin: tree.origin.clone(), error: described }
    };
    let is_binary = |name: &str| BINARY_EXTENSIONS.iter().any(|extension| name.ends_with(extension));
    for (name, _, bytes) in &tree.files {
        if is_binary(name) {
            continue;
        }
        let text = std::str::from_utf8(bytes).map_err(|_| TutorError::Template {
            origin: tree.origin.clone(),
            error: crate::templates::TemplateError::Render {
                template: for_terminal(name, 200),
                line: None,
                message: "is not UTF-8 text; only .ico, .jpg, .png and .ttf files are copied unrendered".into(),
            },
        })?;
        env.add_template_owned(name.clone(), text.to_string()).map_err(|error| fail(name, &error))?;
    }
    for (name, output, bytes) in &tree.files {
        if !is_part_of_env(name) {
            continue;
        }
        let rendered = if is_binary(name) {
            bytes.to_vec()
        } else {
            let template = env.get_template(name).map_err(|error| fail(name, &error))?;
            template.render(context).map_err(|error| fail(name, &error))?.into_bytes()
        };
        *total += rendered.len();
        out.push((output.clone(), rendered));
        if *total > MAX_TOTAL_BYTES {
            return Err(TutorError::Template {
                origin: tree.origin.clone(),
                error: crate::templates::TemplateError::Render {
                    template: for_terminal(name, 200),
                    line: None,
                    message: format!("the environment grows past the limit of {MAX_TOTAL_BYTES} bytes"),
                },
            });
        }
    }
    Ok(())
}

/// Renders the environment of `tutor` with the `resolved` configuration.
pub fn render(tutor: &Tutor<'_>, resolved: &Resolved) -> Result<RenderedEnv, TutorError> {
    let context = Jinja::from_serialize(&resolved.values);
    let patches = Arc::new(rendered_patches(tutor, &context)?);
    let mut trees = vec![Tree {
        origin: "the base templates".into(),
        files: tutor.base().files.iter().map(|(name, bytes)| (name.clone(), name.clone(), bytes.as_slice())).collect(),
    }];
    for plugin in tutor.plugins() {
        let prefix = format!("templates/{}/", plugin.name());
        let files = plugin
            .files()
            .iter()
            .filter_map(|file| {
                let rest = file.path.strip_prefix(&prefix)?;
                let name = file.path.strip_prefix("templates/")?;
                Some((name.to_string(), format!("plugins/{}/{rest}", plugin.name()), file.contents.as_slice()))
            })
            .collect();
        trees.push(Tree { origin: format!("{}, its templates", plugin.label()), files });
    }
    let (mut files, mut total) = (Vec::new(), 0);
    for tree in &trees {
        render_tree(tree, &context, &patches, &mut files, &mut total)?;
    }
    Ok(RenderedEnv { files })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tutors_filters() {
        let secret = random_string(32).unwrap();
        assert_eq!(secret.len(), 32);
        assert!(secret.bytes().all(|b| b.is_ascii_alphanumeric()), "{secret}");
        assert_ne!(secret, random_string(32).unwrap());
        assert!(random_string(MAX_RANDOM_LENGTH + 1).is_err());
        assert_eq!(common_domain("studio.demo.myopenedx.com", "lms.demo.myopenedx.com"), "demo.myopenedx.com");
        assert_eq!(common_domain("a.com", "b.org"), "");
        assert_eq!(reverse_host("demo.myopenedx.com"), "com.myopenedx.demo");
        let env = values_env();
        let listed =
            env.render_str("{{ [('lms', true), ('cms', false), ('forum', 1)]|list_if|join(',') }}", ()).unwrap();
        assert_eq!(listed, "lms,forum");
        assert!(env.render_str("{{ [1, 2]|list_if }}", ()).is_err());
    }

    #[test]
    fn what_tutor_leaves_out_of_the_environment() {
        assert!(is_part_of_env("local/docker-compose.yml"));
        assert!(!is_part_of_env("apps/partials/x.yml"));
        assert!(!is_part_of_env("apps/.hidden"));
        assert!(!is_part_of_env("x/__pycache__/y"));
    }
}
