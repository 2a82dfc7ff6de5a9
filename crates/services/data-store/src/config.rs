//! How a [`DataStore`](crate::DataStore) reaches its stores: S3 endpoint and credentials,
//! retries, part sizes, and where verified downloads are buffered.

use std::path::PathBuf;
use std::time::Duration;

/// Retries of a store that cannot be reached (connection refused or reset, timeouts, HTTP 5xx,
/// 408 and 429): up to `attempts` tries in all, waiting `base_delay`, then twice that, and so
/// on (at most `max_delay`) between them. Anything else (not found, access denied, a bad
/// request) is not retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries in all, the first included (0 counts as 1).
    pub attempts: u32,
    /// Wait after the first failure.
    pub base_delay: Duration,
    /// Longest wait between two tries.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// 5 attempts, waiting 200 ms, 400 ms, 800 ms and 1.6 s between them.
    fn default() -> Self {
        RetryPolicy {
            attempts: 5,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// The wait after the `failed`-th consecutive failure (1-based): `base_delay · 2^(failed-1)`,
    /// at most `max_delay`.
    pub fn delay_after(&self, failed: u32) -> Duration {
        let factor = 1u32
            .checked_shl(failed.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.base_delay
            .checked_mul(factor)
            .unwrap_or(self.max_delay)
            .min(self.max_delay)
    }

    /// Tries in all (at least 1).
    pub fn max_attempts(&self) -> u32 {
        self.attempts.max(1)
    }
}

/// How to reach `s3://` stores. Every field left `None` falls back to the standard environment
/// variable when the options come from [`S3Options::from_env`] (or are completed with
/// [`or`](Self::or) from it): explicit options win over the environment.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct S3Options {
    /// The endpoint of an S3-compatible server, `http://host:port` or `https://…`
    /// (`AWS_ENDPOINT_URL_S3`, else `AWS_ENDPOINT_URL`). `None`: AWS itself. Plain `http://` is
    /// allowed (local servers); requests use path-style addressing (`endpoint/bucket/key`).
    pub endpoint: Option<String>,
    /// The region (`AWS_REGION`, else `AWS_DEFAULT_REGION`); `us-east-1` when unset.
    pub region: Option<String>,
    /// Access key id (`AWS_ACCESS_KEY_ID`). Without it and the secret, requests are anonymous
    /// (public buckets).
    pub access_key_id: Option<String>,
    /// Secret access key (`AWS_SECRET_ACCESS_KEY`).
    pub secret_access_key: Option<String>,
    /// Session token of temporary credentials (`AWS_SESSION_TOKEN`).
    pub session_token: Option<String>,
}

impl std::fmt::Debug for S3Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Options")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field(
                "secret_access_key",
                &self.secret_access_key.as_ref().map(|_| "<secret>"),
            )
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<secret>"),
            )
            .finish()
    }
}

impl S3Options {
    /// The options the standard environment variables give.
    pub fn from_env() -> Self {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// The options given by `var` (a stand-in for the environment, for tests).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Self {
        let get = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        S3Options {
            endpoint: get("AWS_ENDPOINT_URL_S3").or_else(|| get("AWS_ENDPOINT_URL")),
            region: get("AWS_REGION").or_else(|| get("AWS_DEFAULT_REGION")),
            access_key_id: get("AWS_ACCESS_KEY_ID"),
            secret_access_key: get("AWS_SECRET_ACCESS_KEY"),
            session_token: get("AWS_SESSION_TOKEN"),
        }
    }

    /// These options, with each field that is `None` taken from `fallback`.
    pub fn or(self, fallback: S3Options) -> S3Options {
        S3Options {
            endpoint: self.endpoint.or(fallback.endpoint),
            region: self.region.or(fallback.region),
            access_key_id: self.access_key_id.or(fallback.access_key_id),
            secret_access_key: self.secret_access_key.or(fallback.secret_access_key),
            session_token: self.session_token.or(fallback.session_token),
        }
    }
}

/// Smallest multipart part S3 accepts (every part but the last).
pub const MIN_PART_SIZE: usize = 5 * 1024 * 1024;
/// Largest multipart part S3 accepts.
pub const MAX_PART_SIZE: usize = 5 * 1024 * 1024 * 1024;

/// Everything a [`DataStore`](crate::DataStore) needs besides the URLs it is given.
#[derive(Clone, Debug)]
pub struct StoreConfig {
    /// Retries of unreachable stores.
    pub retry: RetryPolicy,
    /// How to reach `s3://` stores.
    pub s3: S3Options,
    /// Bytes per multipart part (and the size above which uploads go in parts):
    /// [`MIN_PART_SIZE`]`..=`[`MAX_PART_SIZE`]. Default 8 MiB.
    pub part_size: usize,
    /// Parts uploaded at once. Default 4. An upload holds about `part_size × (parts_in_flight
    /// + 2)` bytes, whatever the file's size.
    pub parts_in_flight: usize,
    /// [`download_decrypt`](crate::DataStore::download_decrypt) verifies objects up to this
    /// size in memory, larger ones in a temporary file. Default 16 MiB.
    pub memory_threshold: u64,
    /// Directory of temporary files; `None`: the system's (`std::env::temp_dir`).
    pub temp_dir: Option<PathBuf>,
    /// Whether objects put in a local directory are synced to disk (file and directory)
    /// before the upload returns, so that a URL handed to the chain survives a crash, as an S3
    /// upload does once complete. Default `true`.
    pub local_fsync: bool,
    /// Time allowed to open a connection. Default 5 s.
    pub connect_timeout: Duration,
    /// Longest a request may wait for the next bytes of a response (a stalled transfer counts
    /// as a failure and is retried). Default 30 s. There is no limit on a whole transfer.
    pub read_timeout: Duration,
}

impl Default for StoreConfig {
    /// Defaults as documented on each field; S3 options empty (see [`StoreConfig::from_env`]).
    fn default() -> Self {
        StoreConfig {
            retry: RetryPolicy::default(),
            s3: S3Options::default(),
            part_size: 8 * 1024 * 1024,
            parts_in_flight: 4,
            memory_threshold: 16 * 1024 * 1024,
            temp_dir: None,
            local_fsync: true,
            connect_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(30),
        }
    }
}

impl StoreConfig {
    /// The defaults, with S3 options from the environment.
    pub fn from_env() -> Self {
        StoreConfig {
            s3: S3Options::from_env(),
            ..StoreConfig::default()
        }
    }

    pub(crate) fn check(&self) -> Result<(), String> {
        if !(MIN_PART_SIZE..=MAX_PART_SIZE).contains(&self.part_size) {
            return Err(format!(
                "part size {} is outside {MIN_PART_SIZE}..={MAX_PART_SIZE} bytes",
                self.part_size
            ));
        }
        if self.parts_in_flight == 0 {
            return Err("parts in flight must be at least 1".into());
        }
        if let Some(endpoint) = &self.s3.endpoint {
            let lower = endpoint.to_ascii_lowercase();
            if !(lower.starts_with("http://") || lower.starts_with("https://")) {
                return Err(format!(
                    "S3 endpoint {endpoint:?} must be an http:// or https:// URL"
                ));
            }
        }
        match (&self.s3.access_key_id, &self.s3.secret_access_key) {
            (Some(_), None) => Err(
                "an S3 access key id is set (AWS_ACCESS_KEY_ID) but no secret access key (AWS_SECRET_ACCESS_KEY)"
                    .into(),
            ),
            (None, Some(_)) => Err(
                "an S3 secret access key is set (AWS_SECRET_ACCESS_KEY) but no access key id (AWS_ACCESS_KEY_ID)"
                    .into(),
            ),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let p = RetryPolicy::default();
        let ms = |n| p.delay_after(n).as_millis();
        assert_eq!([ms(1), ms(2), ms(3), ms(4)], [200, 400, 800, 1600]);
        assert_eq!(p.delay_after(10), Duration::from_secs(10));
        assert_eq!(p.delay_after(200), Duration::from_secs(10));
        assert_eq!(RetryPolicy { attempts: 0, ..p }.max_attempts(), 1);
    }

    #[test]
    fn env_and_explicit_options() {
        let env = S3Options::from_vars(|name| {
            match name {
                "AWS_ENDPOINT_URL" => Some("http://127.0.0.1:9000"),
                "AWS_DEFAULT_REGION" => Some("eu-west-1"),
                "AWS_ACCESS_KEY_ID" => Some("ak"),
                "AWS_SECRET_ACCESS_KEY" => Some("sk"),
                "AWS_SESSION_TOKEN" => Some(" "),
                _ => None,
            }
            .map(str::to_owned)
        });
        assert_eq!(env.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert_eq!(env.region.as_deref(), Some("eu-west-1"));
        assert_eq!(env.session_token, None);
        let explicit = S3Options {
            endpoint: Some("https://s3.example".into()),
            ..S3Options::default()
        };
        let merged = explicit.or(env);
        assert_eq!(merged.endpoint.as_deref(), Some("https://s3.example"));
        assert_eq!(merged.access_key_id.as_deref(), Some("ak"));
        assert!(!format!("{merged:?}").contains("\"sk\""));
    }

    #[test]
    fn config_checks() {
        assert!(StoreConfig::default().check().is_ok());
        let small = StoreConfig {
            part_size: 1024,
            ..StoreConfig::default()
        };
        assert!(small.check().expect_err("small part").contains("part size"));
        let no_scheme = StoreConfig {
            s3: S3Options {
                endpoint: Some("localhost:9000".into()),
                ..S3Options::default()
            },
            ..StoreConfig::default()
        };
        assert!(no_scheme.check().expect_err("scheme").contains("http://"));
        let half = StoreConfig {
            s3: S3Options {
                access_key_id: Some("ak".into()),
                ..S3Options::default()
            },
            ..StoreConfig::default()
        };
        assert!(
            half.check()
                .expect_err("half")
                .contains("AWS_SECRET_ACCESS_KEY")
        );
    }
}
