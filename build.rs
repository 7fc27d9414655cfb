//! Rebuilds the binary when an embedded file changes: `include_dir!` alone
//! does not tell cargo to watch `scripts/`, `images/` and `demo/`.

fn main() {
    for dir in ["scripts", "images", "demo"] {
        println!("cargo:rerun-if-changed={dir}");
    }
}
