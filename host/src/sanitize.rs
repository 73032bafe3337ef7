//! Text from plugins and bundles is untrusted: strip what a terminal or log
//! would interpret, and cap the length, before showing it to anyone.

/// Returns `text` with control characters (including ANSI escape sequences'
/// ESC, CR and BEL) replaced by `\u{..}` escapes, newlines kept as `\n`
/// escapes, cut to at most `max_chars` characters with a marker when cut.
pub fn for_terminal(text: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_chars + 16));
    for (count, c) in text.chars().enumerate() {
        if count >= max_chars {
            out.push_str("…[truncated]");
            break;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push(' '),
            c if is_unsafe_for_terminal(c) => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
            c => out.push(c),
        }
    }
    out
}

/// Like [`for_terminal`] but keeps line breaks, for multi-line messages such
/// as a guest's panic output.
pub fn multiline_for_terminal(text: &str, max_chars: usize) -> String {
    text.lines()
        .map(|line| for_terminal(line, max_chars))
        .collect::<Vec<_>>()
        .join("\n")
        .chars()
        .take(max_chars)
        .collect()
}

/// True for the characters [`for_terminal`] escapes: control characters
/// (a terminal acts on them), and bidirectional marks, overrides and
/// isolates, zero-width and invisible characters and line separators (they
/// make displayed text lie about what it contains).
pub fn is_unsafe_for_terminal(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}'
        )
}

/// Markdown from a plugin (Racetrack `markdown_docs`) made safe to show or
/// to hand to a Markdown renderer: control characters escaped as in
/// [`multiline_for_terminal`], and raw HTML outside code neutralised
/// (`<` becomes `&lt;`; a tag cannot open without it), so a `<script>` or an `<img
/// onerror=...>` reaches a reader as text, never as markup.
pub fn markdown_for_terminal(text: &str, max_chars: usize) -> String {
    let mut fenced = false;
    let lines: Vec<String> = text
        .lines()
        .map(|line| {
            if line.trim_start().starts_with("```") || line.trim_start().starts_with("~~~") {
                fenced = !fenced;
                return line.to_string();
            }
            if fenced {
                return line.to_string();
            }
            let mut out = String::with_capacity(line.len());
            let mut in_code = false;
            for c in line.chars() {
                match c {
                    '`' => {
                        in_code = !in_code;
                        out.push(c);
                    }
                    '<' if !in_code => out.push_str("&lt;"),
                    c => out.push(c),
                }
            }
            out
        })
        .collect();
    multiline_for_terminal(&lines.join("\n"), max_chars)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_keeps_code_and_neutralises_html_and_escapes() {
        let docs = "# Title\n<script>alert(1)</script> and `a<b`\n```\nif a < b {}\n```\n\u{1b}[31mred";
        assert_eq!(
            markdown_for_terminal(docs, 1000),
            "# Title\n&lt;script>alert(1)&lt;/script> and `a<b`\n```\nif a < b {}\n```\n\\u{1b}[31mred"
        );
    }

    #[test]
    fn strips_escapes_and_caps() {
        assert_eq!(for_terminal("a\x1b[31mred\r\n", 100), "a\\u{1b}[31mred\\u{d}\\n");
        assert_eq!(for_terminal("abcdef", 3), "abc…[truncated]");
        assert_eq!(multiline_for_terminal("x\ny\x07", 100), "x\ny\\u{7}");
        assert_eq!(for_terminal("a\u{202e}b\u{200b}c\u{2066}", 100), "a\\u{202e}b\\u{200b}c\\u{2066}");
    }
}
