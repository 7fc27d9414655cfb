//! The session: what one verb's run decides for the host functions it
//! calls, held by the engine that runs it instead of by the process. The
//! engine hands it to every evaluation as Rhai's tag ([`Session::install`]),
//! so a host function that depends on it takes Rhai's call context and
//! asks [`Session::of`]; two engines (tests, a verb run from another) have
//! two sessions. Today it holds the plan mode (`plan=True`,
//! `docker::set_plan`) and its log: commands that change something are
//! recorded instead of run (the layers below get the mode as a value), and
//! the verb that plans takes them (`docker::planned`), or they are printed
//! when it ends ([`Session::print_planned`]).

use crate::exec::{Mode, PlanLog};
use rhai::{Dynamic, Engine, NativeCallContext};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// One verb's run, shared by every evaluation on its engine (clones share it).
#[derive(Clone, Default)]
pub struct Session {
    planning: Arc<AtomicBool>,
    log: PlanLog,
}

impl Session {
    /// Gives `engine` a new session, which each evaluation on it starts with.
    pub fn install(engine: &mut Engine) {
        engine.set_default_tag(Dynamic::from(Session::default()));
    }

    /// The session of the evaluation calling a host function (a new one, in
    /// run mode, on an engine without [`Session::install`]).
    pub fn of(context: &NativeCallContext) -> Session {
        context
            .tag()
            .and_then(|tag| tag.clone().try_cast::<Session>())
            .unwrap_or_default()
    }

    /// The session of `engine` (one made by [`Session::install`]).
    pub fn of_engine(engine: &Engine) -> Session {
        engine
            .default_tag()
            .clone()
            .try_cast::<Session>()
            .unwrap_or_default()
    }

    /// Run commands, or record those that change something.
    pub fn mode(&self) -> Mode {
        if self.planning.load(Ordering::Relaxed) {
            Mode::Plan(self.log.clone())
        } else {
            Mode::Run
        }
    }

    /// Prints the planned commands no verb took, in order, one shell line each.
    pub fn print_planned(&self) {
        for planned in self.log.take() {
            crate::exec::print_line(&planned.line);
        }
    }

    /// Turns plan mode on or off.
    pub fn set_plan(&self, on: bool) {
        self.planning.store(on, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_engine_has_its_own_plan_mode() {
        let planning = || {
            let mut engine = Engine::new();
            Session::install(&mut engine);
            engine.register_fn("set_plan", |context: NativeCallContext, on: bool| {
                Session::of(&context).set_plan(on)
            });
            engine.register_fn("is_planning", |context: NativeCallContext| {
                Session::of(&context).mode().is_plan()
            });
            engine
        };
        let first = planning();
        let second = planning();
        first.run("set_plan(true)").unwrap();
        // Later evaluations on the same engine see it; another engine does not.
        assert!(first.eval::<bool>("is_planning()").unwrap());
        assert!(!second.eval::<bool>("is_planning()").unwrap());
        first.run("set_plan(false)").unwrap();
        assert!(!first.eval::<bool>("is_planning()").unwrap());
    }
}
