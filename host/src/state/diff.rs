//! Contributions as lines of text, and line diffs between a recorded
//! contribution and a planned one. Works on the JSON of any hook's output, so
//! a hook added later diffs without code here.

use serde::Serialize;

/// One line of a diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "change", content = "text", rename_all = "kebab-case")]
pub enum DiffLine {
    /// In both.
    Same(String),
    /// Only in the recorded contribution.
    Removed(String),
    /// Only in the planned contribution.
    Added(String),
}

/// A hook output as lines (not yet sanitised): a Dockerfile line per line,
/// `NAME=value` per env var, a script's lines, a report's summary and
/// `key: value` details; anything else as compact JSON.
pub fn contribution_lines(value: &serde_json::Value) -> Vec<String> {
    use serde_json::Value;
    match value {
        Value::Null => Vec::new(),
        Value::String(text) => text.lines().map(str::to_string).collect(),
        Value::Array(items) => items.iter().map(item_line).collect(),
        Value::Object(fields) => {
            // A report reads summary first, whatever order the map keeps its keys in.
            let mut lines: Vec<String> = fields.get("summary").map(scalar).into_iter().collect();
            for (key, field) in fields.iter().filter(|(key, _)| key.as_str() != "summary") {
                match field {
                    Value::Array(items) => {
                        lines.extend(items.iter().map(|item| format!("  {}", pair_line(item, ": "))))
                    }
                    other => lines.push(format!("{key}: {}", scalar(other))),
                }
            }
            lines
        }
        other => vec![scalar(other)],
    }
}

fn item_line(item: &serde_json::Value) -> String {
    pair_line(item, "=")
}

/// `[a, b]` as `a<sep>b`; anything else as [`scalar`].
fn pair_line(item: &serde_json::Value, separator: &str) -> String {
    match item.as_array().map(Vec::as_slice) {
        Some([serde_json::Value::String(a), serde_json::Value::String(b)]) => format!("{a}{separator}{b}"),
        _ => scalar(item),
    }
}

fn scalar(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// Longest inputs diffed line by line; larger ones are shown as all removed
/// then all added, to bound the quadratic table.
const MAX_DIFF_CELLS: usize = 4_000_000;

/// The lines of `before` and `after`, in order, each marked as kept,
/// removed or added (a longest-common-subsequence diff).
pub fn diff_lines(before: &[String], after: &[String]) -> Vec<DiffLine> {
    if before.len().saturating_mul(after.len()) > MAX_DIFF_CELLS {
        return before
            .iter()
            .cloned()
            .map(DiffLine::Removed)
            .chain(after.iter().cloned().map(DiffLine::Added))
            .collect();
    }
    let (n, m) = (before.len(), after.len());
    // lcs[i][j]: the common subsequence length of before[i..] and after[j..].
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if before[i] == after[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let (mut i, mut j, mut lines) = (0, 0, Vec::with_capacity(n.max(m)));
    while i < n || j < m {
        if i < n && j < m && before[i] == after[j] {
            lines.push(DiffLine::Same(before[i].clone()));
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
            lines.push(DiffLine::Removed(before[i].clone()));
            i += 1;
        } else {
            lines.push(DiffLine::Added(after[j].clone()));
            j += 1;
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contributions_read_as_lines_and_diff_by_line() {
        let env = serde_json::json!([["A", "1"], ["B", "2"]]);
        assert_eq!(contribution_lines(&env), vec!["A=1", "B=2"]);
        let report = serde_json::json!({"summary": "did it", "details": [["k", "v"]]});
        assert_eq!(contribution_lines(&report), vec!["did it", "  k: v"]);
        assert_eq!(contribution_lines(&serde_json::json!("a\nb")), vec!["a", "b"]);
        let lines = |items: &[&str]| items.iter().map(|item| item.to_string()).collect::<Vec<_>>();
        assert_eq!(
            diff_lines(&lines(&["a", "b", "c"]), &lines(&["a", "x", "c"])),
            vec![
                DiffLine::Same("a".into()),
                DiffLine::Removed("b".into()),
                DiffLine::Added("x".into()),
                DiffLine::Same("c".into()),
            ]
        );
    }
}
