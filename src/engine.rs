//! The Rhai engine: the one factory, used by the binary and the tests alike.
//!
//! It is the top of the layers: it registers the host API ([`host`]) and
//! the project-first module resolver ([`scripts`]); how a verb is loaded and
//! run on it is [`crate::verb`]'s.

use crate::host;
use crate::scripts;
use rhai::Engine;
use std::path::Path;

/// Builds the engine: strict variables, the host API, project-first imports.
pub fn engine(project_dir: &Path) -> Engine {
    let mut engine = Engine::new();
    engine.set_strict_variables(true);
    engine.set_max_expr_depths(256, 128);
    // Rhai's default depth is lower in debug builds; verbs nest a few
    // modules deep (run -> converge -> a job -> argv), so set it the same
    // for every build.
    engine.set_max_call_levels(64);
    engine.set_module_resolver(scripts::Resolver::new(project_dir));
    host::register(&mut engine);
    engine
}
