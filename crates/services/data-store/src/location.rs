//! Where ciphertext lives: [`StoreUrl`], a local directory, an S3 bucket (and key prefix) or an
//! HTTP(S) address, and the URL of one object in it.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Name of the default store directory under a node's or user's data directory.
pub const DEFAULT_STORE_DIR: &str = "data-store";

/// Why a store location or object URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad store URL {url:?}: {reason}")]
pub struct UrlError {
    /// The text as given.
    pub url: String,
    /// What is wrong with it.
    pub reason: String,
}

fn bad(url: &str, reason: impl Into<String>) -> UrlError {
    UrlError {
        url: url.to_owned(),
        reason: reason.into(),
    }
}

/// A store location (where objects are put) or the URL of one object (what a download takes).
/// Both have the same forms; an object's URL is its store's URL [`join`](Self::join)ed with
/// the object's name.
///
/// | text | meaning |
/// | --- | --- |
/// | `file:///abs/dir`, `/abs/dir`, `rel/dir` | a local directory (relative paths are made absolute against the current directory when parsed) |
/// | `s3://bucket`, `s3://bucket/some/prefix` | an S3-compatible bucket and key prefix; endpoint, region and credentials come from [`S3Options`](crate::S3Options) |
/// | `http://…`, `https://…` | read only: a download fetches exactly this address (query included, so pre-signed URLs work) |
///
/// [`Display`](fmt::Display) gives the canonical URL (`file:///…`, `s3://…`, `http(s)://…`),
/// which parses back to the same value.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum StoreUrl {
    /// A local directory or file, by absolute path.
    File {
        /// The absolute path.
        path: PathBuf,
    },
    /// An object or prefix in an S3-compatible bucket.
    S3 {
        /// The bucket's name.
        bucket: String,
        /// The key (of an object) or key prefix (of a store), without leading or trailing `/`;
        /// empty for the bucket's root.
        key: String,
    },
    /// An HTTP(S) address: read only.
    Http {
        /// The address.
        url: url::Url,
    },
}

impl StoreUrl {
    /// Parses a store location or object URL (see the type's documentation for the forms).
    pub fn parse(text: &str) -> Result<Self, UrlError> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(bad(text, "empty"));
        }
        let lower = trimmed.to_ascii_lowercase();
        if lower.starts_with("file:") {
            Self::parse_file(text, trimmed)
        } else if lower.starts_with("s3://") {
            Self::parse_s3(text, &trimmed[5..])
        } else if lower.starts_with("http://") || lower.starts_with("https://") {
            Self::parse_http(text, trimmed)
        } else if let Some((scheme, _)) = trimmed.split_once("://") {
            Err(bad(
                text,
                format!(
                    "unsupported scheme {scheme:?}: use a local path or file:// URL, s3://bucket/prefix, or http(s):// (read only)"
                ),
            ))
        } else {
            Self::local(trimmed)
        }
    }

    /// A local directory (or file); a relative path is made absolute against the current
    /// directory.
    pub fn local(path: impl AsRef<Path>) -> Result<Self, UrlError> {
        let path = path.as_ref();
        let abs = std::path::absolute(path).map_err(|e| {
            bad(
                &path.display().to_string(),
                format!("cannot make the path absolute: {e}"),
            )
        })?;
        Ok(StoreUrl::File { path: abs })
    }

    /// The default store: the directory [`DEFAULT_STORE_DIR`] under `data_dir`.
    pub fn default_local(data_dir: &Path) -> Result<Self, UrlError> {
        Self::local(data_dir.join(DEFAULT_STORE_DIR))
    }

    /// `location` parsed, or the [default store](Self::default_local) under `data_dir` when
    /// none is given.
    pub fn parse_or_default(location: Option<&str>, data_dir: &Path) -> Result<Self, UrlError> {
        match location {
            Some(text) => Self::parse(text),
            None => Self::default_local(data_dir),
        }
    }

    fn parse_file(original: &str, text: &str) -> Result<Self, UrlError> {
        let url = url::Url::parse(text).map_err(|e| bad(original, e.to_string()))?;
        if url.query().is_some() || url.fragment().is_some() {
            return Err(bad(original, "a file URL takes no query or fragment"));
        }
        match url.host_str() {
            None | Some("") | Some("localhost") => {}
            Some(host) => {
                return Err(bad(
                    original,
                    format!(
                        "file URLs must name a local path (file:///abs/dir), not host {host:?}"
                    ),
                ));
            }
        }
        let path = url
            .to_file_path()
            .map_err(|()| bad(original, "not an absolute local path (use file:///abs/dir)"))?;
        Ok(StoreUrl::File { path })
    }

    fn parse_s3(original: &str, rest: &str) -> Result<Self, UrlError> {
        if rest.contains(['?', '#']) {
            return Err(bad(original, "an s3 URL takes no query or fragment"));
        }
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        check_bucket(bucket).map_err(|reason| bad(original, reason))?;
        let key = key.trim_end_matches('/');
        if key.starts_with('/') || key.split('/').any(|s| s.is_empty() && !key.is_empty()) {
            return Err(bad(original, "empty path segment (\"//\") in the key"));
        }
        if key.split('/').any(|s| s == "." || s == "..") {
            return Err(bad(original, "\".\" and \"..\" are not allowed in keys"));
        }
        Ok(StoreUrl::S3 {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
        })
    }

    fn parse_http(original: &str, text: &str) -> Result<Self, UrlError> {
        let url = url::Url::parse(text).map_err(|e| bad(original, e.to_string()))?;
        if url.host_str().is_none_or(str::is_empty) {
            return Err(bad(original, "no host"));
        }
        if url.fragment().is_some() {
            return Err(bad(original, "an http(s) URL takes no fragment"));
        }
        Ok(StoreUrl::Http { url })
    }

    /// Whether objects can be put here (local directories and S3 buckets; not HTTP).
    pub fn is_writable(&self) -> bool {
        !matches!(self, StoreUrl::Http { .. })
    }

    /// The URL of the object `name` in this store (`name` is one path segment).
    pub fn join(&self, name: &str) -> StoreUrl {
        match self {
            StoreUrl::File { path } => StoreUrl::File {
                path: path.join(name),
            },
            StoreUrl::S3 { bucket, key } => StoreUrl::S3 {
                bucket: bucket.clone(),
                key: if key.is_empty() {
                    name.to_owned()
                } else {
                    format!("{key}/{name}")
                },
            },
            StoreUrl::Http { url } => {
                let mut url = url.clone();
                if let Ok(mut segments) = url.path_segments_mut() {
                    segments.pop_if_empty().push(name);
                }
                StoreUrl::Http { url }
            }
        }
    }
}

/// S3 bucket naming rules, the part that matters for a URL: 3 to 63 of lowercase letters,
/// digits, `.` and `-`, starting and ending with a letter or digit.
fn check_bucket(bucket: &str) -> Result<(), String> {
    if bucket.is_empty() {
        return Err("no bucket name (use s3://bucket/optional/prefix)".into());
    }
    if !(3..=63).contains(&bucket.len()) {
        return Err(format!(
            "bucket name {bucket:?} must be 3 to 63 characters long"
        ));
    }
    let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-';
    let alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    if !bucket.chars().all(ok_char) || !bucket.starts_with(alnum) || !bucket.ends_with(alnum) {
        return Err(format!(
            "bucket name {bucket:?} may hold only lowercase letters, digits, '.' and '-', and must start and end with a letter or digit"
        ));
    }
    Ok(())
}

impl fmt::Display for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreUrl::File { path } => match url::Url::from_file_path(path) {
                Ok(url) => f.write_str(url.as_str()),
                // Only a relative path fails, and parsing never makes one.
                Err(()) => write!(f, "file://{}", path.display()),
            },
            StoreUrl::S3 { bucket, key } if key.is_empty() => write!(f, "s3://{bucket}"),
            StoreUrl::S3 { bucket, key } => write!(f, "s3://{bucket}/{key}"),
            StoreUrl::Http { url } => f.write_str(url.as_str()),
        }
    }
}

impl fmt::Debug for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StoreUrl({self})")
    }
}

impl FromStr for StoreUrl {
    type Err = UrlError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        StoreUrl::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> StoreUrl {
        StoreUrl::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn local_forms() {
        let u = parse("file:///srv/data");
        assert_eq!(
            u,
            StoreUrl::File {
                path: "/srv/data".into()
            }
        );
        assert_eq!(u.to_string(), "file:///srv/data");
        assert_eq!(parse("/srv/data"), u);
        assert_eq!(parse("file://localhost/srv/data"), u);
        let rel = parse("some/dir");
        let StoreUrl::File { path } = &rel else {
            panic!("not a file url: {rel}")
        };
        assert!(path.is_absolute() && path.ends_with("some/dir"));
        // Spaces and other characters round-trip through the percent-encoded form.
        let odd = parse("/srv/my data/%x");
        assert_eq!(odd.to_string(), "file:///srv/my%20data/%25x");
        assert_eq!(parse(&odd.to_string()), odd);
        assert_eq!(u.join("ab12").to_string(), "file:///srv/data/ab12");
        assert_eq!(
            StoreUrl::default_local(Path::new("/home/u/.synod")).expect("default"),
            parse("/home/u/.synod/data-store")
        );
        assert_eq!(
            StoreUrl::parse_or_default(None, Path::new("/d")).expect("default"),
            parse("/d/data-store")
        );
        assert_eq!(
            StoreUrl::parse_or_default(Some("s3://bkt"), Path::new("/d")).expect("given"),
            parse("s3://bkt")
        );
    }

    #[test]
    fn s3_forms() {
        let u = parse("s3://my-bucket/pools/p1/");
        assert_eq!(
            u,
            StoreUrl::S3 {
                bucket: "my-bucket".into(),
                key: "pools/p1".into()
            }
        );
        assert_eq!(u.to_string(), "s3://my-bucket/pools/p1");
        assert_eq!(u.join("ab").to_string(), "s3://my-bucket/pools/p1/ab");
        let root = parse("s3://my-bucket");
        assert_eq!(root.to_string(), "s3://my-bucket");
        assert_eq!(root.join("ab").to_string(), "s3://my-bucket/ab");
        assert_eq!(parse(&root.join("ab").to_string()), root.join("ab"));
        assert!(u.is_writable());
    }

    #[test]
    fn http_forms() {
        let u = parse("https://example.org/files/");
        assert!(!u.is_writable());
        assert_eq!(u.join("ab").to_string(), "https://example.org/files/ab");
        let u = parse("http://127.0.0.1:8080/x");
        assert_eq!(u.join("ab").to_string(), "http://127.0.0.1:8080/x/ab");
        let signed = parse("https://b.s3.amazonaws.com/k?X-Amz-Signature=1");
        assert_eq!(
            signed.to_string(),
            "https://b.s3.amazonaws.com/k?X-Amz-Signature=1"
        );
    }

    #[test]
    fn refusals_say_why() {
        for (text, needle) in [
            ("", "empty"),
            ("ftp://host/x", "unsupported scheme"),
            ("s3://", "no bucket"),
            ("s3://AB", "3 to 63"),
            ("s3://Upper-case", "lowercase"),
            ("s3://bucket//x", "empty path segment"),
            ("s3://bucket/a/../b", "not allowed"),
            ("s3://bucket/a?x=1", "no query"),
            ("file://otherhost/x", "not host"),
            ("file:///x?y", "no query"),
            ("http://", "empty host"),
            ("https://h/x#frag", "no fragment"),
        ] {
            let err = StoreUrl::parse(text).expect_err(text);
            assert!(
                err.to_string().contains(needle),
                "{text:?}: {err} (expected {needle:?})"
            );
        }
    }
}
