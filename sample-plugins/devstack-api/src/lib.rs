//! A DevStack API service that keeps its data in the database
//! `devstack-database` provides: its manifest says `requires:
//! [devstack-database]` (DevStack's `define_plugin devstack-api` +
//! `plugin_requires devstack-api devstack-database`), so Paddock runs the
//! database first at every phase although its priority is higher, and
//! refuses a set without it.
//!
//! Settings: `API_PORT` a default; `DATABASE_TYPE=postgresql` a default
//! too, which loses to the database plugin's (it runs first, and
//! `${DATABASE_TYPE:-postgresql}` sees its value); `API_WORKERS` an
//! override-default, forced before other components' defaults.

use paddock_guest::common::{HookResult, PluginContext};
use paddock_guest::devstack::{PackageLists, PluginSettings, StackPhase};
use paddock_guest::{devstack, export_hooks};

struct Api;

impl devstack::settings::Guest for Api {
    fn settings(_: PluginContext) -> HookResult<PluginSettings> {
        Ok(PluginSettings::new()
            .default_value("API_PORT", "9876")
            .default_value("DATABASE_TYPE", "postgresql")
            .override_default("API_WORKERS", "2")
            .enable_service("api"))
    }
}

impl devstack::system_packages::Guest for Api {
    fn system_packages(_: PluginContext) -> HookResult<PackageLists> {
        Ok(PackageLists {
            debs: vec!["python3-pymysql".into(), "mysql-client".into()],
            rpms: vec!["python3-PyMySQL".into()],
            rpms_suse: vec!["python3-PyMySQL".into()],
        })
    }
}

impl devstack::stack::Guest for Api {
    fn stack(_: PluginContext, phase: StackPhase) -> HookResult<Option<String>> {
        Ok(match phase {
            StackPhase::Install => Some("echo_summary \"Installing the API\"\nsetup_develop \"$DEST/api\"\n".into()),
            StackPhase::PostConfig => Some(
                "echo_summary \"Configuring the API\"\n\
                 recreate_database api\n\
                 iniset /etc/api/api.conf database connection \
                 \"$(database_connection_url api)\"\n"
                    .into(),
            ),
            StackPhase::Extra => {
                Some("echo_summary \"Starting the API\"\nrun_process api \"api-server --port $API_PORT\"\n".into())
            }
            StackPhase::PreInstall | StackPhase::TestConfig => None,
        })
    }
}

impl devstack::unstack::Guest for Api {
    fn unstack(_: PluginContext) -> HookResult<Option<String>> {
        Ok(Some("stop_process api\n".into()))
    }
}

export_hooks!(Api: devstack::settings, devstack::system_packages, devstack::stack, devstack::unstack);
