//! The invoking environment, read-only.

use rhai::plugin::*;

#[export_module]
pub mod api {
    /// The value of an environment variable, or `()` when unset.
    ///
    /// ```rhai
    /// let ip = env::get("SERVICE_IP");
    /// if ip == () { ip = "0.0.0.0"; }
    /// ```
    pub fn get(name: &str) -> Dynamic {
        std::env::var(name).map_or(Dynamic::UNIT, Dynamic::from)
    }

    /// The full path of a program on PATH, or `()` when it is not there.
    ///
    /// ```rhai
    /// if env::which("mmdebstrap") != () { ... }
    /// ```
    pub fn which(program: &str) -> Dynamic {
        which::which(program).map_or(Dynamic::UNIT, |path| {
            path.to_string_lossy().to_string().into()
        })
    }

    /// The invoking user's numeric ids and names: `#{uid, gid, user, group}`.
    ///
    /// ```rhai
    /// let me = env::user();
    /// ```
    pub fn user() -> rhai::Map {
        // SAFETY: getuid and getgid cannot fail.
        let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
        let user = std::env::var("USER").unwrap_or_else(|_| {
            if uid == 0 {
                "root".into()
            } else {
                format!("user{uid}")
            }
        });
        let mut map = rhai::Map::new();
        map.insert("uid".into(), i64::from(uid).into());
        map.insert("gid".into(), i64::from(gid).into());
        map.insert("group".into(), user.clone().into());
        map.insert("user".into(), user.into());
        map
    }

    /// The host's name.
    ///
    /// ```rhai
    /// let host = env::hostname();
    /// ```
    pub fn hostname() -> String {
        let mut buffer = [0u8; 256];
        // SAFETY: the buffer is valid for its whole length.
        let status = unsafe { libc::gethostname(buffer.as_mut_ptr().cast(), buffer.len()) };
        if status != 0 {
            return "localhost".into();
        }
        let end = buffer.iter().position(|b| *b == 0).unwrap_or(buffer.len());
        String::from_utf8_lossy(&buffer[..end]).to_string()
    }

    /// The number of processor cores, to bound parallel work.
    ///
    /// ```rhai
    /// let limit = env::cores();
    /// ```
    pub fn cores() -> i64 {
        std::thread::available_parallelism().map_or(2, |n| n.get() as i64)
    }

    /// Seconds since the epoch, with fractions.
    ///
    /// ```rhai
    /// let started = env::now();
    /// ```
    pub fn now() -> f64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64())
    }

    /// Sleeps for `seconds` (stops early on Ctrl-C).
    ///
    /// ```rhai
    /// env::sleep(2);
    /// ```
    pub fn sleep(seconds: i64) {
        let until =
            std::time::Instant::now() + std::time::Duration::from_secs(seconds.max(0) as u64);
        while std::time::Instant::now() < until && !super::super::interrupted() {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    /// Whether Ctrl-C (SIGINT) or SIGTERM arrived.
    ///
    /// ```rhai
    /// if env::interrupted() { throw "interrupted"; }
    /// ```
    pub fn interrupted() -> bool {
        super::super::interrupted()
    }

    /// A random name of `length` lower-case letters and digits.
    ///
    /// ```rhai
    /// let instance = env::random_name(8);
    /// ```
    pub fn random_name(length: i64) -> String {
        let alphabet = b"abcdefghijklmnopqrstuvwxyz0123456789";
        let mut bytes = vec![0u8; length.clamp(1, 64) as usize];
        let _ = getrandom_fill(&mut bytes);
        bytes
            .iter()
            .map(|b| alphabet[*b as usize % alphabet.len()] as char)
            .collect()
    }
}

/// Fills `bytes` from the kernel's random source.
pub fn getrandom_fill(bytes: &mut [u8]) -> std::io::Result<()> {
    use std::io::Read;
    std::fs::File::open("/dev/urandom")?.read_exact(bytes)
}
