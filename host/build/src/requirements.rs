//! A Python plugin's `requirements.txt` (Racetrack: "if the plugin contains
//! a `requirements.txt` file, it is installed using pip"): the packages are
//! installed into the component at build time, since the sandbox has no
//! network and no filesystem to install them into at run time.
//!
//! The rules, each a build error naming the line or package and the fix:
//!
//! - **Pinned, completely.** Every line is `name==version` (extras,
//!   `name[extra]==version`, and `--hash=...` options are allowed;
//!   comments and blank lines too). `requirements.txt` is the lock: every
//!   package pip installs, dependencies included, must be pinned in it, so
//!   two builds of one plugin hold the same code. A dependency pip resolves
//!   that the file does not pin fails the build with the exact lines to add
//!   (the versions pip resolved). Ranges (`>=`, `~=`), includes (`-r`),
//!   index options, URLs, paths, editable installs and environment markers
//!   are refused.
//! - **Pure Python only.** The sandbox runs CPython compiled to WebAssembly
//!   ([`SANDBOX_PYTHON_VERSION`]): a compiled module (`.so`, `.pyd`) cannot
//!   load there. pip installs wheels only (`--only-binary=:all:`, no source
//!   builds) whose tags say pure Python (`--platform any --abi none` for
//!   CPython [`SANDBOX_PYTHON_VERSION`]: `py3-none-any` and the like). A
//!   package with only platform wheels fails the build naming it and a
//!   platform wheel it has; the installed files are checked again for
//!   compiled modules, whatever the wheel's tags claim.
//! - **From the Python registry pip is configured for**: PyPI unless
//!   `PIP_INDEX_URL`, `PIP_FIND_LINKS` or a `pip.conf` say otherwise (pip
//!   is run with the user's configuration, so mirrors keep working). pip is
//!   the one of the interpreter beside componentize-py, or `PADDOCK_PYTHON`
//!   ([`toolchain::pip_python`]).
//!
//! The packages go into `deps/` of the build directory, which is passed to
//! componentize-py with the plugin's sources (`-p src -p deps`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::toolchain::{self, SANDBOX_PYTHON_VERSION};

/// The file a Python plugin lists its packages in.
pub const REQUIREMENTS_FILE: &str = "requirements.txt";

/// The largest `requirements.txt` read.
const MAX_REQUIREMENTS_BYTES: u64 = 64 * 1024;

/// What pip is told about the packages the sandbox can run, besides the
/// Python version: pure-Python wheels only.
const PURE_WHEELS: [&str; 7] = ["--only-binary=:all:", "--platform", "any", "--implementation", "cp", "--abi", "none"];

/// One line of `requirements.txt`: a package pinned to one version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    /// The name as written.
    pub name: String,
    /// `[extra,...]` as written, or empty.
    pub extras: String,
    /// The version after `==`.
    pub version: String,
    /// `--hash=...` options, in order.
    pub hashes: Vec<String>,
    /// The (first) line number it is on.
    pub line: usize,
}

impl Pin {
    /// The line as pip gets it.
    fn requirement(&self) -> String {
        let mut text = format!("{}{}=={}", self.name, self.extras, self.version);
        for hash in &self.hashes {
            text.push(' ');
            text.push_str(hash);
        }
        text
    }
}

/// A package name as PEP 503 compares it: lowercase, runs of `-`, `_`
/// and `.` as one `-`.
pub fn normalize_name(name: &str) -> String {
    let mut normalized = String::with_capacity(name.len());
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !normalized.ends_with('-') {
                normalized.push('-');
            }
        } else {
            normalized.push(c.to_ascii_lowercase());
        }
    }
    normalized
}

fn is_name(name: &str) -> bool {
    let alphanumeric = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    alphanumeric(name.chars().next())
        && alphanumeric(name.chars().last())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn is_version(version: &str) -> bool {
    !version.is_empty()
        && version.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '!' | '-' | '_'))
}

/// How to write a pin, for messages.
const PIN_HINT: &str = "write each package as `name==version` (e.g. `humanize==4.9.0`)";

/// Parses `requirements.txt`: every requirement pinned with `==`, each
/// package once. The error names the line and says what to write.
pub fn parse(text: &str) -> Result<Vec<Pin>, String> {
    let mut pins: Vec<Pin> = Vec::new();
    // Logical lines: a line ending in `\` continues on the next.
    let mut logical: Vec<(usize, String)> = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    for (index, raw) in text.lines().enumerate() {
        let (number, mut joined) = pending.take().unwrap_or((index + 1, String::new()));
        let line = strip_comment(raw).trim_end();
        match line.strip_suffix('\\') {
            Some(start) => {
                joined.push_str(start);
                joined.push(' ');
                pending = Some((number, joined));
            }
            None => {
                joined.push_str(line);
                logical.push((number, joined));
            }
        }
    }
    logical.extend(pending);

    for (line, text) in logical {
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        let at = |problem: String| format!("{REQUIREMENTS_FILE} line {line}: `{text}` {problem}");
        if text.starts_with('-') {
            return Err(at(format!(
                "is a pip option; Paddock installs only pinned packages from pip's configured index (set the index \
                 with PIP_INDEX_URL or pip.conf, not in {REQUIREMENTS_FILE}): {PIN_HINT}"
            )));
        }
        // The requirement runs up to the first option (`--hash=...`).
        let mut words = text.split_whitespace().peekable();
        let mut requirement = String::new();
        while let Some(word) = words.next_if(|word| !word.starts_with('-')) {
            requirement.push_str(word);
        }
        let mut hashes = Vec::new();
        for option in words {
            if option.starts_with("--hash=") {
                hashes.push(option.to_string());
            } else {
                return Err(at(format!(
                    "has the option `{option}`; only `--hash=ALGORITHM:DIGEST` may follow a requirement"
                )));
            }
        }
        if requirement.contains(';') {
            return Err(at(format!(
                "has an environment marker; the plugin always runs on the sandbox's CPython {SANDBOX_PYTHON_VERSION}, \
                 so list the packages it needs there without markers"
            )));
        }
        if requirement.contains("://") || requirement.contains('@') || requirement.starts_with(['.', '/', '~']) {
            return Err(at(format!(
                "is a URL or a path; Paddock installs only pinned packages from pip's configured index: {PIN_HINT}"
            )));
        }
        let Some((spec, version)) = requirement.split_once("==").filter(|(_, version)| !version.starts_with('='))
        else {
            return Err(at(format!(
                "is not pinned; {PIN_HINT}: {REQUIREMENTS_FILE} pins every package the plugin gets, its dependencies \
                 too, so every build holds the same code"
            )));
        };
        if !is_version(version) {
            return Err(at(format!("does not pin one version (`{version}`); {PIN_HINT}")));
        }
        let (name, extras) = match spec.split_once('[') {
            Some((name, rest)) if rest.ends_with(']') => (name, format!("[{rest}")),
            Some(_) => return Err(at("has unbalanced extras; write `name[extra]==version`".to_string())),
            None => (spec, String::new()),
        };
        if !is_name(name) {
            return Err(at(format!("does not start with a package name; {PIN_HINT}")));
        }
        if let Some(first) = pins.iter().find(|pin| normalize_name(&pin.name) == normalize_name(name)) {
            return Err(at(format!("pins `{name}` again (line {} pins it too); keep one line", first.line)));
        }
        pins.push(Pin { name: name.to_string(), extras, version: version.to_string(), hashes, line });
    }
    Ok(pins)
}

/// `line` without its comment: pip's rule, `#` at the start or after
/// whitespace.
fn strip_comment(line: &str) -> &str {
    let mut previous = None;
    for (index, c) in line.char_indices() {
        if c == '#' && previous.is_none_or(char::is_whitespace) {
            return &line[..index];
        }
        previous = Some(c);
    }
    line
}

/// Installs the packages of `dir`'s `requirements.txt`, if it has one with
/// a requirement, into `staging/deps`, and returns that directory for
/// componentize-py's `-p`. `None`: nothing to install.
pub(crate) fn install(dir: &Path, staging: &Path) -> Result<Option<PathBuf>, String> {
    let path = dir.join(REQUIREMENTS_FILE);
    if !path.exists() {
        return Ok(None);
    }
    let text = paddock::fsutil::read_text_capped(&path, MAX_REQUIREMENTS_BYTES)
        .map_err(|e| format!("{} {e}", path.display()))?;
    let pins = parse(&text)?;
    if pins.is_empty() {
        return Ok(None);
    }
    let python = toolchain::pip_python()?;
    let pinned = staging.join("requirements.pinned.txt");
    let lines: String = pins.iter().map(|pin| pin.requirement() + "\n").collect();
    std::fs::write(&pinned, lines).map_err(|e| format!("cannot write {}: {e}", pinned.display()))?;
    let deps = staging.join("deps");
    let report = staging.join("pip-report.json");

    let mut command = pip(&python);
    command
        .args(["install", "--no-compile", "--no-warn-script-location", "--target"])
        .arg(&deps)
        .args(PURE_WHEELS)
        .args(["--python-version", SANDBOX_PYTHON_VERSION, "--report"])
        .arg(&report)
        .arg("-r")
        .arg(&pinned)
        .current_dir(staging);
    eprintln!(
        "{REQUIREMENTS_FILE}: installing {} with pip",
        pins.iter().map(Pin::requirement).collect::<Vec<_>>().join(", ")
    );
    let (ok, stderr) = run_pip(command, &python)?;
    if !ok {
        return Err(explain_failure(&python, &stderr, staging));
    }
    let report_text =
        std::fs::read_to_string(&report).map_err(|e| format!("pip wrote no report {}: {e}", report.display()))?;
    let installed = installed_from_report(&report_text)?;
    check_installed(&pins, &installed)?;
    check_no_native_files(&deps)?;
    eprintln!(
        "{REQUIREMENTS_FILE}: installed {} (pure Python) into the component",
        installed.iter().map(|wheel| format!("{} {}", wheel.name, wheel.version)).collect::<Vec<_>>().join(", ")
    );
    Ok(Some(deps))
}

/// `python -m pip` with the options every run gets.
fn pip(python: &Path) -> Command {
    let mut command = Command::new(python);
    command.args(["-m", "pip", "--disable-pip-version-check", "--no-input"]);
    command
}

/// Runs pip with its stdout sent on to stderr (the CLI's stdout is for its
/// result) and its stderr captured and passed on: whether it succeeded, and
/// its stderr.
fn run_pip(mut command: Command, python: &Path) -> Result<(bool, String), String> {
    let output = command.stdin(Stdio::null()).output().map_err(|e| {
        format!(
            "cannot run pip for {REQUIREMENTS_FILE} ({} -m pip): {e}; set {} to a Python 3 with pip",
            python.display(),
            toolchain::PYTHON_ENV
        )
    })?;
    eprint!("{}", String::from_utf8_lossy(&output.stdout));
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    eprint!("{stderr}");
    Ok((output.status.success(), stderr))
}

/// pip's `ERROR:` lines, for messages.
fn pip_errors(stderr: &str) -> String {
    let errors: Vec<&str> = stderr.lines().filter(|line| line.starts_with("ERROR:")).map(str::trim).collect();
    if errors.is_empty() { "see its output above".to_string() } else { errors.join(" ") }
}

/// Why `pip install` failed, in the terms of the rules: a package without a
/// pure-Python wheel is named, with the platform wheel it has instead.
fn explain_failure(python: &Path, stderr: &str, staging: &Path) -> String {
    let said = pip_errors(stderr);
    if stderr.contains("No module named pip") || stderr.contains("no such option") {
        return format!(
            "{} cannot install {REQUIREMENTS_FILE}: it has no pip, or one older than 22.2 (see its output above); \
             set {} to a Python 3 with pip 22.2 or later, or {}",
            python.display(),
            toolchain::PYTHON_ENV,
            toolchain::INSTALL_HINT
        );
    }
    let Some(requirement) = stderr
        .lines()
        .find_map(|line| line.trim().strip_prefix("ERROR: No matching distribution found for "))
        .map(str::trim)
    else {
        return format!(
            "pip could not install {REQUIREMENTS_FILE} (pip said: {said}); fix the pins it names, or check that pip \
             reaches the Python registry"
        );
    };
    let name: String =
        requirement.chars().take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')).collect();
    // pip lists the versions it could have taken: pure-Python wheels exist,
    // only not of the version pinned.
    let versions = stderr.lines().find_map(|line| {
        let (_, after) = line.split_once(&format!("satisfies the requirement {requirement} (from versions: "))?;
        after.strip_suffix(')').filter(|list| *list != "none")
    });
    if let Some(versions) = versions {
        let versions: Vec<&str> = versions.split(", ").collect();
        let latest = &versions[versions.len().saturating_sub(5)..];
        return format!(
            "{REQUIREMENTS_FILE}: `{requirement}` has no pure-Python wheel for the sandbox's CPython \
             {SANDBOX_PYTHON_VERSION} on the index, though other versions of `{name}` do (the latest: {}); pin one \
             of those",
            latest.join(", ")
        );
    }
    // Is there any wheel at all, for this machine? Then it is not pure Python.
    match host_wheel(python, requirement, staging) {
        Some(wheel) if wheel.is_pure() => format!(
            "{REQUIREMENTS_FILE}: `{requirement}` has a pure-Python wheel ({}), but not one pip accepts for the \
             sandbox's CPython {SANDBOX_PYTHON_VERSION} (pip said: {said}); pin a version that supports Python \
             {SANDBOX_PYTHON_VERSION}",
            wheel.file
        ),
        Some(wheel) => format!(
            "{REQUIREMENTS_FILE}: `{name}` has native extensions: `{requirement}` publishes no pure-Python wheel \
             (tagged `py3-none-any`), only platform wheels such as {}; compiled modules cannot run in the sandbox \
             (CPython {SANDBOX_PYTHON_VERSION} on WebAssembly), so a Python plugin can use pure-Python packages only: \
             remove `{name}`, or use a pure-Python alternative",
            wheel.file
        ),
        None => format!(
            "{REQUIREMENTS_FILE}: no pure-Python wheel (tagged `py3-none-any`) of `{requirement}` on the index, and \
             no wheel for this machine either (pip said: {said}); check the name and version, or the package ships \
             only source, which Paddock does not build (a build could compile native code): pin a package that \
             publishes a pure-Python wheel"
        ),
    }
}

/// The wheel pip would pick for `requirement` on this machine, without the
/// sandbox's restrictions; `None` if there is none.
fn host_wheel(python: &Path, requirement: &str, staging: &Path) -> Option<Wheel> {
    let mut command = pip(python);
    command
        .args(["install", "--dry-run", "--ignore-installed", "--no-deps", "--only-binary=:all:", "--quiet"])
        .args(["--report", "-", requirement])
        .current_dir(staging)
        .stdin(Stdio::null())
        .stderr(Stdio::null());
    let output = command.output().ok().filter(|output| output.status.success())?;
    installed_from_report(&String::from_utf8_lossy(&output.stdout)).ok()?.into_iter().next()
}

/// A wheel pip installed (or would).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Wheel {
    name: String,
    version: String,
    /// Its file name, `humanize-4.9.0-py3-none-any.whl`.
    file: String,
}

impl Wheel {
    /// Whether its tags say pure Python: every ABI tag `none`, every
    /// platform tag `any`.
    fn is_pure(&self) -> bool {
        let Some(stem) = self.file.strip_suffix(".whl") else { return false };
        let parts: Vec<&str> = stem.split('-').collect();
        let [.., _python, abi, platform] = parts.as_slice() else { return false };
        parts.len() >= 5 && abi.split('.').all(|tag| tag == "none") && platform.split('.').all(|tag| tag == "any")
    }
}

/// The packages of a pip installation report (`--report`).
fn installed_from_report(report: &str) -> Result<Vec<Wheel>, String> {
    let bad = |what: &str| format!("pip's installation report {what}; is pip older than 22.2? upgrade it");
    let report: serde_json::Value = serde_json::from_str(report).map_err(|_| bad("is not JSON"))?;
    let items = report.get("install").and_then(|items| items.as_array()).ok_or_else(|| bad("has no `install` list"))?;
    items
        .iter()
        .map(|item| {
            let field = |path: &[&str]| {
                path.iter().try_fold(item, |value, key| value.get(key)).and_then(|value| value.as_str())
            };
            let (Some(name), Some(version), Some(url)) =
                (field(&["metadata", "name"]), field(&["metadata", "version"]), field(&["download_info", "url"]))
            else {
                return Err(bad("lacks a package's name, version or URL"));
            };
            let file = url.rsplit('/').next().unwrap_or(url).split(['#', '?']).next().unwrap_or_default();
            Ok(Wheel { name: name.to_string(), version: version.to_string(), file: file.replace("%2B", "+") })
        })
        .collect()
}

/// Every package installed is a pure-Python wheel pinned in
/// `requirements.txt`.
fn check_installed(pins: &[Pin], installed: &[Wheel]) -> Result<(), String> {
    if let Some(wheel) = installed.iter().find(|wheel| !wheel.is_pure()) {
        return Err(format!(
            "{REQUIREMENTS_FILE}: `{}` has native extensions: pip installed {}, which is not a pure-Python wheel; a \
             Python plugin can use pure-Python packages only",
            wheel.name, wheel.file
        ));
    }
    let unpinned: Vec<String> = installed
        .iter()
        .filter(|wheel| !pins.iter().any(|pin| normalize_name(&pin.name) == normalize_name(&wheel.name)))
        .map(|wheel| format!("`{}=={}`", wheel.name, wheel.version))
        .collect();
    if !unpinned.is_empty() {
        return Err(format!(
            "{REQUIREMENTS_FILE} does not pin every package the plugin gets: the pinned packages depend on {} as \
             well; add {} to {REQUIREMENTS_FILE} (the versions pip resolved), so every build holds the same code",
            if unpinned.len() == 1 { "another" } else { "others" },
            if unpinned.len() == 1 {
                format!("the line {}", unpinned[0])
            } else {
                format!("the lines {}", unpinned.join(", "))
            }
        ));
    }
    Ok(())
}

/// Whether `path` is a compiled module or library the sandbox cannot load.
fn is_native(path: &str) -> bool {
    let file = path.rsplit(['/', '\\']).next().unwrap_or(path).to_ascii_lowercase();
    [".so", ".pyd", ".dylib", ".dll"].iter().any(|ext| file.ends_with(ext)) || file.contains(".so.")
}

/// No compiled module among the installed files, whatever the wheels'
/// tags claim: the error names the package it came with.
pub(crate) fn check_no_native_files(deps: &Path) -> Result<(), String> {
    // Which package installed which file, from the wheels' RECORDs.
    let mut owners: BTreeMap<PathBuf, String> = BTreeMap::new();
    for entry in std::fs::read_dir(deps).map_err(|e| format!("cannot list {}: {e}", deps.display()))?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(dist) = name.strip_suffix(".dist-info") else { continue };
        let package = dist.rsplit_once('-').map_or(dist, |(package, _version)| package).to_string();
        let record = std::fs::read_to_string(entry.path().join("RECORD")).unwrap_or_default();
        for line in record.lines() {
            let file = line.split(',').next().unwrap_or_default();
            owners.insert(deps.join(file), package.clone());
        }
    }
    let mut pending = vec![deps.to_path_buf()];
    while let Some(folder) = pending.pop() {
        let entries = std::fs::read_dir(&folder).map_err(|e| format!("cannot list {}: {e}", folder.display()))?;
        for entry in entries.flatten() {
            let path = entry.path();
            if entry.file_type().is_ok_and(|kind| kind.is_dir()) {
                pending.push(path);
            } else if is_native(&path.to_string_lossy()) {
                let relative = path.strip_prefix(deps).unwrap_or(&path);
                let package = owners.get(&path).cloned().unwrap_or_else(|| {
                    relative
                        .components()
                        .next()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .unwrap_or_default()
                });
                return Err(format!(
                    "{REQUIREMENTS_FILE}: `{package}` has native extensions: it installs the compiled module {}, \
                     which cannot run in the sandbox (CPython {SANDBOX_PYTHON_VERSION} on WebAssembly); a Python \
                     plugin can use pure-Python packages only",
                    relative.display()
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pin(name: &str, version: &str, line: usize) -> Pin {
        Pin { name: name.into(), extras: String::new(), version: version.into(), hashes: Vec::new(), line }
    }

    #[test]
    fn pinned_lines_comments_extras_and_hashes_parse() {
        let text = "# packages\n\nhumanize==4.9.0  # for sizes\nsix == 1.16.0\n\
                    Foo.Bar[speed,cli]==2.0.post1 \\\n    --hash=sha256:abc \\\n    --hash=sha256:def\n";
        let pins = parse(text).unwrap();
        assert_eq!(pins[0], pin("humanize", "4.9.0", 3));
        assert_eq!(pins[1], pin("six", "1.16.0", 4));
        assert_eq!(
            pins[2],
            Pin {
                name: "Foo.Bar".into(),
                extras: "[speed,cli]".into(),
                version: "2.0.post1".into(),
                hashes: vec!["--hash=sha256:abc".into(), "--hash=sha256:def".into()],
                line: 5,
            }
        );
        assert_eq!(pins[2].requirement(), "Foo.Bar[speed,cli]==2.0.post1 --hash=sha256:abc --hash=sha256:def");
        assert_eq!(pins.len(), 3);
        assert_eq!(parse("# nothing\n\n").unwrap(), []);
    }

    #[test]
    fn anything_but_a_pin_is_an_error_naming_the_line_and_the_fix() {
        for (text, expected) in [
            ("humanize\n", "line 1: `humanize` is not pinned; write each package as `name==version`"),
            ("a==1\nhumanize>=4.9\n", "line 2: `humanize>=4.9` is not pinned"),
            ("humanize~=4.9\n", "is not pinned"),
            ("humanize===4.9\n", "is not pinned"),
            ("humanize==4.*\n", "does not pin one version (`4.*`)"),
            ("humanize==4.9,<5\n", "does not pin one version"),
            ("-r other.txt\n", "line 1: `-r other.txt` is a pip option"),
            ("--index-url https://example.invalid/simple\n", "is a pip option"),
            ("-e .\n", "is a pip option"),
            ("humanize @ https://example.invalid/h.whl\n", "is a URL or a path"),
            ("./vendor/h.whl\n", "is a URL or a path"),
            ("six==1.16.0; python_version < \"3.12\"\n", "has an environment marker"),
            ("six==1.16.0 --no-binary six\n", "has the option `--no-binary`"),
            ("==1.0\n", "does not start with a package name"),
            ("x#y==1\n", "does not start with a package name"),
            ("six==1.16.0\nSix==1.15.0\n", "line 2: `Six==1.15.0` pins `Six` again (line 1 pins it too)"),
        ] {
            let error = parse(text).unwrap_err();
            assert!(error.contains(expected), "{text:?}: expected `{expected}` in: {error}");
            assert!(error.starts_with("requirements.txt line "), "{error}");
        }
    }

    #[test]
    fn names_compare_as_pep_503_says() {
        assert_eq!(normalize_name("Foo.Bar__baz"), "foo-bar-baz");
        assert_eq!(normalize_name("PyYAML"), "pyyaml");
    }

    fn wheel(name: &str, version: &str, file: &str) -> Wheel {
        Wheel { name: name.into(), version: version.into(), file: file.into() }
    }

    #[test]
    fn only_pure_python_wheels_pass_and_every_one_must_be_pinned() {
        assert!(wheel("humanize", "4.9.0", "humanize-4.9.0-py3-none-any.whl").is_pure());
        assert!(wheel("six", "1.16.0", "six-1.16.0-py2.py3-none-any.whl").is_pure());
        let native =
            wheel("PyYAML", "6.0.1", "PyYAML-6.0.1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl");
        assert!(!native.is_pure());
        assert!(!wheel("x", "1", "x-1-cp314-abi3-any.whl").is_pure());
        assert!(!wheel("x", "1", "x-1.tar.gz").is_pure());

        let pins = [pin("humanize", "4.9.0", 1)];
        assert_eq!(check_installed(&pins, &[wheel("humanize", "4.9.0", "humanize-4.9.0-py3-none-any.whl")]), Ok(()));
        let error = check_installed(&[pin("pyyaml", "6.0.1", 1)], &[native]).unwrap_err();
        assert!(error.starts_with("requirements.txt: `PyYAML` has native extensions"), "{error}");
        let error = check_installed(
            &[pin("python-dateutil", "2.9.0", 1)],
            &[
                wheel("python-dateutil", "2.9.0", "python_dateutil-2.9.0-py2.py3-none-any.whl"),
                wheel("six", "1.16.0", "six-1.16.0-py2.py3-none-any.whl"),
            ],
        )
        .unwrap_err();
        assert!(error.contains("add the line `six==1.16.0` to requirements.txt"), "{error}");
    }

    #[test]
    fn the_installation_report_gives_each_wheel() {
        let report = r#"{"version": "1", "install": [{"metadata": {"name": "humanize", "version": "4.9.0"},
            "download_info": {"url": "https://files.example/aa/humanize-4.9.0-py3-none-any.whl#sha256=1"}}]}"#;
        assert_eq!(
            installed_from_report(report),
            Ok(vec![wheel("humanize", "4.9.0", "humanize-4.9.0-py3-none-any.whl")])
        );
        assert!(installed_from_report("{}").unwrap_err().contains("has no `install` list"));
    }

    #[test]
    fn a_compiled_module_among_the_installed_files_is_named_with_its_package() {
        let deps = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(deps.path().join("pure")).unwrap();
        std::fs::write(deps.path().join("pure/__init__.py"), "").unwrap();
        assert_eq!(check_no_native_files(deps.path()), Ok(()));

        std::fs::create_dir_all(deps.path().join("fast/sub")).unwrap();
        std::fs::write(deps.path().join("fast/sub/_speed.cpython-314-x86_64-linux-gnu.so"), "").unwrap();
        std::fs::create_dir_all(deps.path().join("fast_lib-1.0.dist-info")).unwrap();
        std::fs::write(
            deps.path().join("fast_lib-1.0.dist-info/RECORD"),
            "fast/__init__.py,,\nfast/sub/_speed.cpython-314-x86_64-linux-gnu.so,sha256=x,10\n",
        )
        .unwrap();
        let error = check_no_native_files(deps.path()).unwrap_err();
        assert!(error.starts_with("requirements.txt: `fast_lib` has native extensions"), "{error}");
        assert!(error.contains("fast/sub/_speed.cpython-314-x86_64-linux-gnu.so"), "{error}");
        assert!(is_native("lib/libfoo.so.1") && is_native("m.PYD") && !is_native("solver.py"));
    }
}
