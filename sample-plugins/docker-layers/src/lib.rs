//! Dockerfile instructions built only from parameters: packages to install,
//! labels and a working directory.

use paddock_guest::{HookContext, HookError, HookResult, Plugin, export_plugin};

struct DockerLayers;

impl Plugin for DockerLayers {
    fn dockerfile_injection(ctx: &HookContext) -> HookResult<Vec<String>> {
        let mut lines = Vec::new();
        let packages = ctx.text_list("apt_packages").unwrap_or_default();
        if let Some(bad) = packages.iter().find(|p| !is_package_name(p)) {
            return Err(HookError::failed(format!("`{bad}` in parameter `apt_packages` is not a Debian package name")));
        }
        if !packages.is_empty() {
            lines.push(format!(
                "RUN apt-get update && apt-get install -y --no-install-recommends {} && rm -rf /var/lib/apt/lists/*",
                packages.join(" ")
            ));
        }
        for label in ctx.text_list("labels").unwrap_or_default() {
            let (key, value) = label
                .split_once('=')
                .ok_or_else(|| HookError::failed(format!("label `{label}` must look like key=value")))?;
            lines.push(format!("LABEL {key}={value:?}"));
        }
        if let Some(workdir) = ctx.text("workdir") {
            lines.push(format!("WORKDIR {workdir}"));
        }
        Ok(lines)
    }
}

fn is_package_name(name: &str) -> bool {
    !name.is_empty()
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+-.".contains(c))
}

export_plugin!(DockerLayers);
