//! The Rhai engine: the one factory, used by the binary and the tests alike.
//!
//! It is the top of the layers: it registers the host API ([`host`]) and
//! the project-first module resolver ([`scripts`]); how a verb is loaded and
//! run on it is [`crate::verb`]'s.

use crate::host;
use crate::scripts;
use rhai::Engine;
use std::path::Path;

/// How many short strings Rhai keeps interned (its default is 256).
const MAX_STRINGS_INTERNED: usize = 16 * 1024;

/// Builds the engine: strict variables and map properties, the host API,
/// project-first imports.
pub fn engine(project_dir: &Path) -> Engine {
    let mut engine = Engine::new();
    engine.set_strict_variables(true);
    // A misspelt map property is an error naming it, not a silent `()`:
    // what may be absent is asked with `"key" in map` or read with
    // `map[key]` (an indexer still gives `()` for an absent key).
    engine.set_fail_on_invalid_map_property(true);
    engine.set_max_expr_depths(256, 128);
    // Rhai's default depth is lower in debug builds; verbs nest a few
    // modules deep (run -> converge -> a job -> argv), so set it the same
    // for every build.
    engine.set_max_call_levels(64);
    // Rhai interns short strings (map keys, identifiers) in a cache of 256;
    // past that, each new string scans the cache to evict. A no-op `run:all`
    // went past it and spent a tenth of its CPU evicting; a run is short
    // and its strings few, so the cache is made big enough to hold them.
    engine.set_max_strings_interned(MAX_STRINGS_INTERNED);
    // Each run compiles its scripts afresh and runs most of their code
    // once: folding constants costs more than it saves (callgrind: `ps`
    // 18.5M -> 16.8M instructions, a no-op `run:all` 103M -> 99M).
    engine.set_optimization_level(rhai::OptimizationLevel::None);
    engine.set_module_resolver(scripts::Resolver::new(project_dir));
    host::session::Session::install(&mut engine);
    host::register(&mut engine);
    engine
}
