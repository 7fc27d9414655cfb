//! The invoking environment, read-only.

use rhai::plugin::*;

/// The invoking user, as `env::user` tells scripts.
#[derive(serde::Serialize)]
struct User {
    uid: u32,
    gid: u32,
    user: String,
    group: String,
}

impl User {
    fn to_map(&self) -> rhai::Map {
        super::to_map(self).unwrap_or_default()
    }
}

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
        let uid = rustix::process::getuid().as_raw();
        let gid = rustix::process::getgid().as_raw();
        let user = std::env::var("USER").unwrap_or_else(|_| {
            if uid == 0 {
                "root".into()
            } else {
                format!("user{uid}")
            }
        });
        super::User {
            uid,
            gid,
            group: user.clone(),
            user,
        }
        .to_map()
    }

    /// The host's name.
    ///
    /// ```rhai
    /// let host = env::hostname();
    /// ```
    pub fn hostname() -> String {
        let name = rustix::system::uname()
            .nodename()
            .to_string_lossy()
            .to_string();
        if name.is_empty() {
            "localhost".into()
        } else {
            name
        }
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

    /// The current time in UTC as RFC 3339 (`2026-11-25T06:44:09Z`), for logs.
    ///
    /// ```rhai
    /// term::out(`${env::timestamp()} deploying`);
    /// ```
    pub fn timestamp() -> String {
        let seconds = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        super::rfc3339(seconds)
    }

    /// Takes note that an interrupt (SIGINT, SIGTERM) was handled: the verb
    /// then exits with its own status instead of 130 (a daemon that
    /// finished its step and stopped cleanly).
    ///
    /// ```rhai
    /// if env::interrupted() { env::acknowledge_interrupt(); return 0; }
    /// ```
    pub fn acknowledge_interrupt() {
        crate::exec::acknowledge_interrupt();
    }

    /// Sleeps for `seconds` (stops early on Ctrl-C).
    ///
    /// ```rhai
    /// env::sleep(2);
    /// ```
    pub fn sleep(seconds: i64) {
        sleep_seconds(seconds as f64);
    }

    /// Sleeps for a fraction of seconds (`env::sleep(0.5)`; stops early on Ctrl-C).
    #[rhai_fn(name = "sleep")]
    pub fn sleep_seconds(seconds: f64) {
        let until =
            std::time::Instant::now() + std::time::Duration::from_secs_f64(seconds.max(0.0));
        while std::time::Instant::now() < until && !crate::exec::interrupted() {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    /// Whether Ctrl-C (SIGINT) or SIGTERM arrived.
    ///
    /// ```rhai
    /// if env::interrupted() { throw "interrupted"; }
    /// ```
    pub fn interrupted() -> bool {
        crate::exec::interrupted()
    }

    /// A random name of `length` lower-case letters and digits.
    ///
    /// ```rhai
    /// let instance = env::random_name(8);
    /// ```
    pub fn random_name(length: i64) -> String {
        let alphabet = b"abcdefghijklmnopqrstuvwxyz0123456789";
        let mut bytes = vec![0u8; length.clamp(1, 64) as usize];
        // Without the kernel's random source the name is still a valid one.
        let _ = getrandom::getrandom(&mut bytes);
        bytes
            .iter()
            .map(|b| alphabet[*b as usize % alphabet.len()] as char)
            .collect()
    }
}

/// Seconds since the epoch as an RFC 3339 UTC time (days to a civil date
/// by Howard Hinnant's algorithm).
pub fn rfc3339(seconds: u64) -> String {
    let days = (seconds / 86_400) as i64;
    let rest = seconds % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::rfc3339;

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_795_588_649), "2026-11-25T06:37:29Z");
    }
}
