//! The installation's secrets, made on first use under `$REYNS_HOME/keys`:
//! an ed25519 SSH key pair for the `reyns` user and a TSIG (HMAC-SHA256) key
//! for DNS updates. Private files are 0600 and never printed.

use super::{fail, to_map};
use base64ct::Encoding;
use rhai::plugin::*;
use rhai::Map;
use serde::Serialize;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The file names, inside `$REYNS_HOME/keys`.
const SSH_PRIVATE: &str = "id_ed25519";
const SSH_PUBLIC: &str = "id_ed25519.pub";
const TSIG_SECRET: &str = "tsig.secret";
const TSIG_KEY: &str = "tsig.key";
/// The name of the TSIG key, as bind and nsupdate know it.
pub const TSIG_NAME: &str = "reyns";

/// Where the keys live.
pub fn dir() -> PathBuf {
    super::project::reyns_home().join("keys")
}

/// Writes a private file with mode 0600 from its creation on.
fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents)
}

/// Where this installation's keys are, as `keys::ensure` tells scripts.
#[derive(Serialize)]
struct KeyFiles {
    dir: String,
    ssh_private: String,
    ssh_public: String,
    tsig_secret: String,
    tsig_key: String,
}

/// Makes the keys that are missing; returns where they are.
pub fn ensure() -> Result<PathBuf, String> {
    let dir = dir();
    std::fs::create_dir_all(&dir)
        .map_err(|err| format!("cannot create `{}`: {err}", dir.display()))?;
    let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700));
    let private = dir.join(SSH_PRIVATE);
    if !private.exists() {
        let key = ssh_key::PrivateKey::random(
            &mut ssh_key::rand_core::OsRng,
            ssh_key::Algorithm::Ed25519,
        )
        .map_err(|err| format!("cannot make an SSH key: {err}"))?;
        let mut key = key;
        key.set_comment("reyns");
        let text = key
            .to_openssh(ssh_key::LineEnding::LF)
            .map_err(|err| format!("cannot encode the SSH key: {err}"))?;
        let public = key
            .public_key()
            .to_openssh()
            .map_err(|err| format!("cannot encode the SSH public key: {err}"))?;
        write_private(&private, text.as_bytes())
            .and_then(|()| std::fs::write(dir.join(SSH_PUBLIC), format!("{public}\n")))
            .map_err(|err| format!("cannot write the SSH key in `{}`: {err}", dir.display()))?;
    }
    let tsig = dir.join(TSIG_SECRET);
    if !tsig.exists() {
        let mut secret = [0u8; 32];
        getrandom::getrandom(&mut secret)
            .map_err(|err| format!("cannot read random bytes: {err}"))?;
        let encoded = base64ct::Base64::encode_string(&secret);
        write_private(&tsig, format!("{encoded}\n").as_bytes())
            .map_err(|err| format!("cannot write `{}`: {err}", tsig.display()))?;
    }
    let key_file = dir.join(TSIG_KEY);
    if !key_file.exists() {
        let secret = std::fs::read_to_string(&tsig)
            .map_err(|err| format!("cannot read `{}`: {err}", tsig.display()))?;
        let text = format!(
            "key \"{TSIG_NAME}\" {{\n    algorithm hmac-sha256;\n    secret \"{}\";\n}};\n",
            secret.trim()
        );
        write_private(&key_file, text.as_bytes())
            .map_err(|err| format!("cannot write `{}`: {err}", key_file.display()))?;
    }
    Ok(dir)
}

fn shown(path: PathBuf) -> String {
    path.to_string_lossy().to_string()
}

#[export_module]
pub mod api {
    /// Makes the installation's keys if missing and returns their paths:
    /// `#{dir, ssh_private, ssh_public, tsig_secret, tsig_key}` (`tsig_key` in bind's format, for nsupdate -k). Never returns key material.
    ///
    /// ```rhai
    /// let keys = keys::ensure();
    /// ```
    #[rhai_fn(return_raw)]
    pub fn ensure() -> Result<Map, Box<EvalAltResult>> {
        let dir = super::ensure().or_else(fail)?;
        to_map(&KeyFiles {
            ssh_private: shown(dir.join(SSH_PRIVATE)),
            ssh_public: shown(dir.join(SSH_PUBLIC)),
            tsig_secret: shown(dir.join(TSIG_SECRET)),
            tsig_key: shown(dir.join(TSIG_KEY)),
            dir: shown(dir),
        })
    }

    /// Copies the public key and the TSIG key file (not the SSH private key)
    /// into a build context folder, so an image build can bake them in.
    ///
    /// ```rhai
    /// keys::stage(`${context}/keys`);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn stage(dest: &str) -> Result<(), Box<EvalAltResult>> {
        let dir = super::ensure().or_else(fail)?;
        std::fs::create_dir_all(dest)
            .or_else(|err| fail(format!("cannot create `{dest}`: {err}")))?;
        for name in [SSH_PUBLIC, TSIG_KEY] {
            std::fs::copy(dir.join(name), Path::new(dest).join(name))
                .or_else(|err| fail(format!("cannot copy `{name}` to `{dest}`: {err}")))?;
        }
        Ok(())
    }
}
