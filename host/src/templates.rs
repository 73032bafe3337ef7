//! Rendering Jinja templates a plugin ships in its bundle, sandboxed:
//! templates see only the bundle's own files (`{% include %}` and
//! `{% extends %}` resolve there and nowhere else), an undefined variable is
//! an error naming the template and line, and every render runs on a fuel
//! budget so a template cannot loop the host forever.

use serde::Serialize;

use crate::bundle::BundleFile;
use crate::sanitize::for_terminal;

/// Instructions a render may execute; far more than any real template needs.
const FUEL: u64 = 5_000_000;

/// Why a template did not render.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TemplateError {
    /// The template is not a UTF-8 text file shipped in the bundle.
    #[error("template `{template}` is not a text file shipped in the bundle's files/")]
    NotShipped {
        /// The template's path below `files/`.
        template: String,
    },
    /// Jinja refused the template or failed while rendering it.
    #[error("template `{template}`{}: {message}", line.map(|l| format!(" line {l}")).unwrap_or_default())]
    Render {
        /// The template (or the one it included) where it failed.
        template: String,
        /// 1-based line, when known.
        line: Option<usize>,
        /// What went wrong, sanitised (e.g. an undefined variable).
        message: String,
    },
}

/// Renders the template at `path` (below the bundle's `files/`) with
/// `context`.
pub fn render(files: &[BundleFile], path: &str, context: impl Serialize) -> Result<String, TemplateError> {
    let mut env = sandboxed();
    for file in files {
        if let Ok(text) = std::str::from_utf8(&file.contents) {
            // A shipped file that is not valid Jinja only matters if used.
            let _ = env.add_template_owned(file.path.clone(), text.to_string());
        }
    }
    let template = env.get_template(path).map_err(|error| match error.kind() {
        minijinja::ErrorKind::TemplateNotFound => TemplateError::NotShipped { template: for_terminal(path, 200) },
        _ => render_error(path, &error),
    })?;
    template.render(context).map_err(|error| render_error(path, &error))
}

/// An environment with no templates yet, strict about undefined
/// variables and on a fuel budget: templates added to it see only each
/// other.
pub(crate) fn sandboxed() -> minijinja::Environment<'static> {
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.set_fuel(Some(FUEL));
    // Keep what a Dockerfile or YAML template wrote, newline included.
    env.set_keep_trailing_newline(true);
    env
}

/// A Jinja error as a [`TemplateError`], naming the template (or the one it
/// included) and line.
pub(crate) fn render_error(path: &str, error: &minijinja::Error) -> TemplateError {
    TemplateError::Render {
        template: for_terminal(error.name().unwrap_or(path), 200),
        line: error.line(),
        message: for_terminal(&error.detail().map(str::to_string).unwrap_or_else(|| error.kind().to_string()), 500),
    }
}
