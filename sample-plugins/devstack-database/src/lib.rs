//! A DevStack database plugin: the requirement of `devstack-api`
//! (`plugin_requires devstack-api devstack-database`). Its priority (10)
//! would run it after `devstack-api` (0); the requirement puts it first.
//!
//! Settings: `DATABASE_TYPE` and `DATABASE_PASSWORD` as user-overridable
//! defaults, `enable_service mysql`. Packages differ per family (Debian's
//! `mysql-server`, Red Hat's and SUSE's `mariadb-server`). It installs the
//! server (DevStack's `install_database`, `configure_database`), stops the
//! service on `unstack` and removes its data on `clean`.

use paddock_guest::common::{HookResult, PluginContext};
use paddock_guest::devstack::{PackageLists, PluginSettings, StackPhase};
use paddock_guest::{devstack, export_hooks};

struct Database;

impl devstack::settings::Guest for Database {
    fn settings(plugin: PluginContext) -> HookResult<PluginSettings> {
        Ok(PluginSettings::new()
            .default_value("DATABASE_TYPE", plugin.text("type").unwrap_or("mysql"))
            .default_value("DATABASE_PASSWORD", "stackdb")
            .enable_service("mysql"))
    }
}

impl devstack::system_packages::Guest for Database {
    fn system_packages(_: PluginContext) -> HookResult<PackageLists> {
        Ok(PackageLists {
            debs: vec!["mysql-server".into(), "mysql-client".into()],
            rpms: vec!["mariadb-server".into(), "mariadb".into()],
            rpms_suse: vec!["mariadb".into(), "mariadb-client".into()],
        })
    }
}

impl devstack::stack::Guest for Database {
    fn stack(_: PluginContext, phase: StackPhase) -> HookResult<Option<String>> {
        Ok(match phase {
            StackPhase::PreInstall => {
                Some("echo_summary \"Installing the database server\"\ninstall_database\n".into())
            }
            StackPhase::PostConfig => {
                Some("echo_summary \"Configuring the database server\"\nconfigure_database\n".into())
            }
            StackPhase::Install | StackPhase::Extra | StackPhase::TestConfig => None,
        })
    }
}

impl devstack::unstack::Guest for Database {
    fn unstack(_: PluginContext) -> HookResult<Option<String>> {
        Ok(Some("stop_service mysql\n".into()))
    }
}

impl devstack::clean::Guest for Database {
    fn clean(_: PluginContext) -> HookResult<Option<String>> {
        Ok(Some("sudo rm -rf /var/lib/mysql\n".into()))
    }
}

export_hooks!(Database: devstack::settings, devstack::system_packages, devstack::stack, devstack::unstack, devstack::clean);
