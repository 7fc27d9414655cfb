//! Rebuilds the binary when an embedded file changes (`include_dir!` alone
//! does not tell cargo to watch `scripts/`, `images/` and `demo/`).
//!
//! The binary stays position-independent (the toolchain's default), so its
//! own code loads at a random address like its libraries, stack and heap.
//! Linking it at a fixed address (`-no-pie`) saved the dynamic loader's
//! ~37,000 relative relocations, about 0.3-0.5 ms per `reyns ps`; with
//! OpenSSL linked statically into it, that was not worth giving up address
//! randomisation for.

fn main() {
    for dir in ["scripts", "images", "demo"] {
        println!("cargo:rerun-if-changed={dir}");
    }
}
