//! What the 0.1.0 and 0.2 APIs share, written once for both WIT versions'
//! generated types (they are distinct Rust types of the same shape).

/// Parameter look-ups on a context type whose `parameters` field holds
/// `(name, value)` pairs, `failed` on its hook error and builders on its
/// action report.
macro_rules! context_helpers {
    ($context:ty, $error:ident, $report:ident, $value:ident) => {
        impl $error {
            /// A failure with a message for the operator.
            pub fn failed(message: impl ::std::fmt::Display) -> $error {
                $error::Failed(message.to_string())
            }
        }

        impl $context {
            /// A parameter by name.
            pub fn param(&self, name: &str) -> Option<&$value> {
                self.parameters.iter().find(|(key, _)| key == name).map(|(_, value)| value)
            }

            /// A text parameter by name (`None` if absent or not text).
            pub fn text(&self, name: &str) -> Option<&str> {
                match self.param(name)? {
                    $value::Text(text) => Some(text),
                    _ => None,
                }
            }

            /// An integer parameter by name.
            pub fn integer(&self, name: &str) -> Option<i64> {
                match self.param(name)? {
                    $value::Integer(n) => Some(*n),
                    _ => None,
                }
            }

            /// A boolean parameter by name.
            pub fn boolean(&self, name: &str) -> Option<bool> {
                match self.param(name)? {
                    $value::Boolean(b) => Some(*b),
                    _ => None,
                }
            }

            /// A list-of-text parameter by name.
            pub fn text_list(&self, name: &str) -> Option<&[String]> {
                match self.param(name)? {
                    $value::TextList(items) => Some(items),
                    _ => None,
                }
            }

            /// A text parameter that must be present, as a hook error naming it otherwise.
            pub fn required_text(&self, name: &str) -> Result<&str, $error> {
                self.text(name)
                    .ok_or_else(|| $error::failed(format!("parameter `{name}` is required and must be a string")))
            }
        }

        impl $report {
            /// A report with a summary and no details.
            pub fn new(summary: impl Into<String>) -> $report {
                $report { summary: summary.into(), details: Vec::new() }
            }

            /// Adds a detail.
            pub fn detail(mut self, key: impl Into<String>, value: impl Into<String>) -> $report {
                self.details.push((key.into(), value.into()));
                self
            }
        }
    };
}

/// `trace` ... `error` over a WIT version's `logging` interface.
macro_rules! log_functions {
    ($logging:path) => {
        use $logging as wit;

        /// Logs at trace level.
        pub fn trace(message: &str) {
            wit::log(wit::Level::Trace, message);
        }
        /// Logs at debug level.
        pub fn debug(message: &str) {
            wit::log(wit::Level::Debug, message);
        }
        /// Logs at info level.
        pub fn info(message: &str) {
            wit::log(wit::Level::Info, message);
        }
        /// Logs at warn level.
        pub fn warn(message: &str) {
            wit::log(wit::Level::Warn, message);
        }
        /// Logs at error level.
        pub fn error(message: &str) {
            wit::log(wit::Level::Error, message);
        }
    };
}
