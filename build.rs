//! Rebuilds the binary when an embedded file changes (`include_dir!` alone
//! does not tell cargo to watch `scripts/`, `images/` and `demo/`), and links
//! it as a fixed-address executable on Linux.
//!
//! A position-independent `reyns` had 37,000 relative relocations that the
//! dynamic loader applied at every start, writing to ~170 pages of
//! `.data.rel.ro` (callgrind, `reyns ps`: 0.6M of its 9M instructions; a
//! `reyns help` 3.7 -> 3.2 ms). Every `ps` and no-op `run:all` paid them.
//! The price: the binary's own code is no longer at a random address (its
//! libraries, stack and heap still are). Packing the relocations instead
//! (`-z pack-relative-relocs`) kept 0.5M of those instructions and needs a
//! glibc of 2.36 or later wherever the binary runs.

fn main() {
    for dir in ["scripts", "images", "demo"] {
        println!("cargo:rerun-if-changed={dir}");
    }
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let target_env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if target_os == "linux" && target_env == "gnu" {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
