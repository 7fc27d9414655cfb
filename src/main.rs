//! The `reyns` command: everything lives in the library, this only hands it the arguments.

fn main() {
    std::process::exit(reyns::run(std::env::args_os().skip(1).collect()));
}
