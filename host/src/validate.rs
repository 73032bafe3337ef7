//! Output rules. Hook results flow into Dockerfiles, shell scripts and
//! process environments, so every returned value is checked before it is
//! handed to the embedder.

use std::collections::BTreeSet;

use crate::types::ActionReport;

/// Environment variables no plugin may set by default: each changes how
/// programs load code or find executables.
pub const DEFAULT_DENIED_ENV_VARS: &[&str] = &[
    "PATH",
    "LD_PRELOAD",
    "LD_LIBRARY_PATH",
    "LD_AUDIT",
    "DYLD_INSERT_LIBRARIES",
    "DYLD_LIBRARY_PATH",
    "GCONV_PATH",
    "NODE_OPTIONS",
    "NODE_PATH",
    "PYTHONPATH",
    "PYTHONHOME",
    "PYTHONSTARTUP",
    "PERL5OPT",
    "PERL5LIB",
    "RUBYOPT",
    "RUBYLIB",
    "JAVA_TOOL_OPTIONS",
    "_JAVA_OPTIONS",
    "BASH_ENV",
    "ENV",
    "PROMPT_COMMAND",
    "IFS",
    "SHELLOPTS",
];

/// Dockerfile instructions a plugin may emit. `FROM` is the host's: a plugin
/// starting a new stage would silently discard everything before it.
pub const ALLOWED_DOCKERFILE_INSTRUCTIONS: &[&str] = &[
    "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "HEALTHCHECK", "LABEL", "ONBUILD", "RUN",
    "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
];

/// Rules applied to hook results. Embedders may tighten or extend them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputRules {
    /// Environment variable names plugins may not set (exact, case-sensitive).
    pub denied_env_vars: BTreeSet<String>,
    /// Longest environment variable name.
    pub max_env_name_bytes: usize,
    /// Longest environment variable value.
    pub max_env_value_bytes: usize,
    /// Most environment variables from one plugin.
    pub max_env_vars: usize,
    /// Most Dockerfile instructions from one plugin.
    pub max_dockerfile_lines: usize,
    /// Longest Dockerfile instruction.
    pub max_dockerfile_line_bytes: usize,
    /// Largest bootstrap script.
    pub max_script_bytes: usize,
    /// Longest action report summary.
    pub max_summary_bytes: usize,
}

impl Default for OutputRules {
    fn default() -> Self {
        OutputRules {
            denied_env_vars: DEFAULT_DENIED_ENV_VARS.iter().map(|s| s.to_string()).collect(),
            max_env_name_bytes: 256,
            max_env_value_bytes: 32 * 1024,
            max_env_vars: 4_096,
            max_dockerfile_lines: 10_000,
            max_dockerfile_line_bytes: 64 * 1024,
            max_script_bytes: 2 * 1024 * 1024,
            max_summary_bytes: 4 * 1024,
        }
    }
}

fn show(text: &str) -> String {
    crate::sanitize::for_terminal(text, 80)
}

impl OutputRules {
    /// Checks Dockerfile instructions from one plugin.
    pub fn check_dockerfile_lines(&self, lines: &[String]) -> Result<(), String> {
        if lines.len() > self.max_dockerfile_lines {
            return Err(format!("{} Dockerfile lines; the limit is {}", lines.len(), self.max_dockerfile_lines));
        }
        for (index, line) in lines.iter().enumerate() {
            self.check_dockerfile_line(line)
                .map_err(|problem| format!("Dockerfile line {} `{}` {problem}", index + 1, show(line)))?;
        }
        Ok(())
    }

    fn check_dockerfile_line(&self, line: &str) -> Result<(), String> {
        if line.len() > self.max_dockerfile_line_bytes {
            return Err(format!("is {} bytes; the limit is {}", line.len(), self.max_dockerfile_line_bytes));
        }
        if line.chars().any(|c| c.is_control() && c != '\t') {
            return Err("contains a line break or control character; return one instruction per list item".into());
        }
        let trimmed = line.trim();
        if trimmed.is_empty() {
            return Err("is empty".into());
        }
        if let Some(comment) = trimmed.strip_prefix('#') {
            let directive = comment.trim_start().to_ascii_lowercase();
            if ["syntax", "escape", "check"].iter().any(|d| {
                directive.strip_prefix(d).is_some_and(|rest| rest.trim_start().starts_with('='))
            }) {
                return Err("is a parser directive; only the host sets those".into());
            }
            return Ok(());
        }
        if trimmed.ends_with('\\') || trimmed.ends_with('`') {
            return Err("ends with a line continuation, which would swallow the next instruction".into());
        }
        if has_heredoc(trimmed) {
            return Err("opens a heredoc (`<<WORD`), which would swallow the following lines".into());
        }
        let keyword = trimmed.split_whitespace().next().unwrap_or_default().to_ascii_uppercase();
        if keyword == "FROM" {
            return Err("starts a new build stage; the host writes FROM, plugins add instructions".into());
        }
        if !ALLOWED_DOCKERFILE_INSTRUCTIONS.contains(&keyword.as_str()) {
            return Err(format!(
                "does not start with a Dockerfile instruction (one of {})",
                ALLOWED_DOCKERFILE_INSTRUCTIONS.join(", ")
            ));
        }
        Ok(())
    }

    /// Checks environment variables from one plugin.
    pub fn check_env_vars(&self, vars: &[(String, String)]) -> Result<(), String> {
        if vars.len() > self.max_env_vars {
            return Err(format!("{} environment variables; the limit is {}", vars.len(), self.max_env_vars));
        }
        for (name, value) in vars {
            self.check_env_name(name)
                .map_err(|problem| format!("environment variable name `{}` {problem}", show(name)))?;
            if value.len() > self.max_env_value_bytes {
                return Err(format!(
                    "environment variable `{name}` has a {}-byte value; the limit is {}",
                    value.len(),
                    self.max_env_value_bytes
                ));
            }
            if value.contains(['\0', '\n', '\r']) {
                return Err(format!("environment variable `{name}` has a NUL or line break in its value"));
            }
        }
        // Sorting a few borrowed names is cheaper than hashing them; this
        // runs on every call, so it shows in the warm-call profile.
        let mut names: Vec<&str> = vars.iter().map(|(name, _)| name.as_str()).collect();
        names.sort_unstable();
        if let Some(pair) = names.windows(2).find(|pair| pair[0] == pair[1]) {
            return Err(format!("environment variable `{}` is set twice; return each name once", pair[0]));
        }
        Ok(())
    }

    fn check_env_name(&self, name: &str) -> Result<(), String> {
        if name.is_empty() || name.len() > self.max_env_name_bytes {
            return Err(format!("must be 1 to {} bytes long", self.max_env_name_bytes));
        }
        let mut chars = name.chars();
        let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
        if !first_ok || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err("must match ^[A-Za-z_][A-Za-z0-9_]*$".into());
        }
        if self.denied_env_vars.contains(name) || name.starts_with("LD_") || name.starts_with("DYLD_") {
            return Err("is on the deny-list of variables that change how programs load code".into());
        }
        Ok(())
    }

    /// Checks a bootstrap script.
    pub fn check_script(&self, script: &str) -> Result<(), String> {
        if script.len() > self.max_script_bytes {
            return Err(format!("bootstrap script is {} bytes; the limit is {}", script.len(), self.max_script_bytes));
        }
        if script.contains('\0') {
            return Err("bootstrap script contains a NUL byte".into());
        }
        Ok(())
    }

    /// Checks a deploy/destroy report.
    pub fn check_report(&self, report: &ActionReport) -> Result<(), String> {
        if report.summary.len() > self.max_summary_bytes {
            return Err(format!("report summary is {} bytes; the limit is {}", report.summary.len(), self.max_summary_bytes));
        }
        let texts = std::iter::once(&report.summary).chain(report.details.iter().flat_map(|(k, v)| [k, v]));
        for text in texts {
            if text.contains('\0') {
                return Err("report contains a NUL byte".into());
            }
        }
        Ok(())
    }
}

/// `<<WORD`, `<<-WORD`, `<<"WORD"`, `<<'WORD'` anywhere in the line.
fn has_heredoc(line: &str) -> bool {
    line.match_indices("<<").any(|(at, _)| {
        let rest = line[at + 2..].trim_start_matches('-').trim_start();
        rest.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_' || c == '"' || c == '\'')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dockerfile_rules() {
        let rules = OutputRules::default();
        let check = |line: &str| rules.check_dockerfile_lines(&[line.to_string()]);
        assert!(check("RUN echo hi").is_ok());
        assert!(check("# a comment").is_ok());
        assert!(check("RUN a\nRUN b").unwrap_err().contains("line break"));
        assert!(check("RUN a \\").unwrap_err().contains("continuation"));
        assert!(check("RUN <<EOF").unwrap_err().contains("heredoc"));
        assert!(check("# syntax=docker/dockerfile:1").unwrap_err().contains("directive"));
        assert!(check("#escape=`").unwrap_err().contains("directive"));
        assert!(check("FROM alpine").unwrap_err().contains("FROM"));
        assert!(check("echo hi").unwrap_err().contains("instruction"));
    }

    #[test]
    fn env_rules() {
        let rules = OutputRules::default();
        let check = |name: &str, value: &str| rules.check_env_vars(&[(name.to_string(), value.to_string())]);
        assert!(check("API_URL", "http://x").is_ok());
        assert!(check("LD_PRELOAD", "/x.so").unwrap_err().contains("deny-list"));
        assert!(check("LD_ANYTHING", "x").unwrap_err().contains("deny-list"));
        assert!(check("1ABC", "x").unwrap_err().contains("must match"));
        assert!(check("A-B", "x").unwrap_err().contains("must match"));
        assert!(check("A", "x\ny").unwrap_err().contains("line break"));
        let twice = [("A".to_string(), "1".to_string()), ("A".to_string(), "2".to_string())];
        assert!(rules.check_env_vars(&twice).unwrap_err().contains("twice"));
    }
}
