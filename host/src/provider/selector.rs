//! Digital Rebar event selectors: `type.action.key`, each part a name or
//! `*` (`machines.update.*`, `*.*.*`). The key is everything after the
//! second dot, so keys holding dots (a lease's address) still select.

use std::fmt;

use serde::Serialize;

use super::Event;

/// A parsed event selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    event_type: Part,
    action: Part,
    key: Part,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Any,
    Exactly(String),
}

impl Part {
    fn parse(text: &str) -> Part {
        if text == "*" { Part::Any } else { Part::Exactly(text.to_string()) }
    }

    fn matches(&self, value: &str) -> bool {
        match self {
            Part::Any => true,
            Part::Exactly(expected) => expected == value,
        }
    }
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Part::Any => f.write_str("*"),
            Part::Exactly(text) => f.write_str(text),
        }
    }
}

impl Selector {
    /// Parses `type.action.key`; the error says what to write instead.
    pub fn parse(text: &str) -> Result<Selector, String> {
        let mut parts = text.splitn(3, '.');
        let (Some(event_type), Some(action), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(format!(
                "`{}` is not `type.action.key`; write e.g. `machines.update.*` or `*.*.*`",
                crate::sanitize::for_terminal(text, 200)
            ));
        };
        for (what, part) in [("type", event_type), ("action", action)] {
            if part != "*" {
                super::definition::check_word(what, part)
                    .map_err(|problem| format!("selector `{}`: {problem}", crate::sanitize::for_terminal(text, 200)))?;
            }
        }
        if key.is_empty() || key.chars().any(char::is_control) {
            return Err(format!(
                "selector `{}`: the key part is empty or holds control characters; write a key or `*`",
                crate::sanitize::for_terminal(text, 200)
            ));
        }
        Ok(Selector { event_type: Part::parse(event_type), action: Part::parse(action), key: Part::parse(key) })
    }

    /// Whether `event` is one this selector selects.
    pub fn matches(&self, event: &Event) -> bool {
        self.event_type.matches(&event.event_type) && self.action.matches(&event.action) && self.key.matches(&event.key)
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.event_type, self.action, self.key)
    }
}

impl Serialize for Selector {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(event_type: &str, action: &str, key: &str) -> Event {
        Event::new(event_type, action, key, serde_json::Value::Null).unwrap()
    }

    #[test]
    fn wildcards_select_by_part() {
        let update = Selector::parse("machines.update.*").unwrap();
        assert!(update.matches(&event("machines", "update", "m1")));
        assert!(!update.matches(&event("machines", "create", "m1")));
        assert!(!update.matches(&event("subnets", "update", "m1")));
        assert!(Selector::parse("*.*.*").unwrap().matches(&event("leases", "create", "10.0.0.1")));
        let lease = Selector::parse("leases.*.10.0.0.1").unwrap();
        assert!(lease.matches(&event("leases", "delete", "10.0.0.1")));
        assert!(!lease.matches(&event("leases", "delete", "10.0.0.2")));
        assert_eq!(lease.to_string(), "leases.*.10.0.0.1");
    }

    #[test]
    fn malformed_selectors_say_what_to_write() {
        for bad in ["machines", "machines.update", "Machines.update.*", "machines..*", "machines.update."] {
            assert!(Selector::parse(bad).is_err(), "{bad}");
        }
    }
}
