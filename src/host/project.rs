//! The project: its name and folders, with the environment overrides of the
//! original Reyns (`PROJECT_NAME`, `PROJECT_DIR`, `SERVICES_IMAGES_DIR`,
//! `DATA_DIR`) and the installation folder `$REYNS_HOME`.

use rhai::plugin::*;
use std::path::PathBuf;

/// The project folder: `$PROJECT_DIR`, else the current folder.
pub fn dir() -> PathBuf {
    match std::env::var_os("PROJECT_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
    }
}

/// The project name: `$PROJECT_NAME`, else the folder's base name, lower-cased.
pub fn name() -> String {
    if let Ok(name) = std::env::var("PROJECT_NAME") {
        if !name.is_empty() {
            return name;
        }
    }
    let dir = dir();
    let dir = dir.canonicalize().unwrap_or(dir);
    dir.file_name()
        .map(|base| base.to_string_lossy().to_lowercase())
        .unwrap_or_else(|| "reyns".into())
}

/// The installation folder for keys and caches: `$REYNS_HOME`, else `~/.reyns`.
pub fn reyns_home() -> PathBuf {
    if let Some(home) = std::env::var_os("REYNS_HOME").filter(|h| !h.is_empty()) {
        return PathBuf::from(home);
    }
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("/tmp"), PathBuf::from);
    home.join(".reyns")
}

fn shown(path: PathBuf) -> String {
    path.to_string_lossy().to_string()
}

#[export_module]
pub mod api {
    /// The project name (`$PROJECT_NAME`, else the folder name, lower-cased).
    ///
    /// ```rhai
    /// let tag = `${project::name()}/${service}`;
    /// ```
    pub fn name() -> String {
        super::name()
    }

    /// The project folder (`$PROJECT_DIR`, else the current folder).
    ///
    /// ```rhai
    /// let conf = `${project::dir()}/default.conf`;
    /// ```
    pub fn dir() -> String {
        shown(super::dir())
    }

    /// The folder of service definitions (`$SERVICES_IMAGES_DIR`, else `<project>/services`).
    ///
    /// ```rhai
    /// let services = fs::list(project::services_dir());
    /// ```
    pub fn services_dir() -> String {
        match std::env::var("SERVICES_IMAGES_DIR") {
            Ok(dir) if !dir.is_empty() => dir,
            _ => shown(super::dir().join("services")),
        }
    }

    /// The persistent data folder (`$DATA_DIR`, else `<project>/data_<name>`).
    ///
    /// ```rhai
    /// let data = `${project::data_dir()}/demo-one`;
    /// ```
    pub fn data_dir() -> String {
        match std::env::var("DATA_DIR") {
            Ok(dir) if !dir.is_empty() => dir,
            _ => shown(super::dir().join(format!("data_{}", super::name()))),
        }
    }

    /// The installation folder (`$REYNS_HOME`, else `~/.reyns`).
    ///
    /// ```rhai
    /// let home = project::reyns_home();
    /// ```
    pub fn reyns_home() -> String {
        shown(super::reyns_home())
    }

    /// The version of this reyns.
    ///
    /// ```rhai
    /// term::out(project::version());
    /// ```
    pub fn version() -> String {
        env!("CARGO_PKG_VERSION").to_string()
    }
}
