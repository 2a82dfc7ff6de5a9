//! Public artifacts beside the ciphertext: small objects anyone may read (a pool's scoring
//! program), put under a caller-chosen name and read back whole with a size limit. The store
//! checks nothing about their content: the caller checks them by the hash the chain holds
//! (a scoring program by its program hash) before using them.

use bytes::Bytes;
use object_store::{ObjectStoreExt, PutPayload};

use crate::error::StoreError;
use crate::location::StoreUrl;
use crate::store::{DataStore, with_retry};

impl DataStore {
    /// Puts `bytes` at `to`/`name` (replacing what is there) and returns the object's URL.
    pub async fn put_public(
        &self,
        to: &StoreUrl,
        name: &str,
        bytes: Vec<u8>,
    ) -> Result<StoreUrl, StoreError> {
        if !to.is_writable() {
            return Err(StoreError::ReadOnly {
                url: to.to_string(),
            });
        }
        let url = to.join(name);
        let target = self.resolve(&url)?;
        if let StoreUrl::File { path } = &url
            && let Some(dir) = path.parent()
        {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::io(format!("creating {}", dir.display()), e))?;
        }
        let payload = Bytes::from(bytes);
        with_retry(self.policy(), &target.text, || {
            let payload = PutPayload::from(payload.clone());
            let store = target.backend.store();
            let path = target.path.clone();
            async move { store.put(&path, payload).await.map(|_| ()) }
        })
        .await?;
        Ok(url)
    }

    /// Reads the whole object at `url`, refusing one larger than `max_len` bytes with
    /// [`StoreError::TooLarge`] before reading it.
    pub async fn get_public(&self, url: &StoreUrl, max_len: u64) -> Result<Vec<u8>, StoreError> {
        let target = self.resolve(url)?;
        let got = with_retry(self.policy(), &target.text, || {
            let store = target.backend.store();
            let path = target.path.clone();
            async move {
                let r = store.get(&path).await?;
                let size = r.meta.size;
                if size > max_len {
                    return Ok(Err(size));
                }
                r.bytes().await.map(Ok)
            }
        })
        .await?;
        match got {
            Ok(b) if b.len() as u64 <= max_len => Ok(b.to_vec()),
            Ok(b) => Err(StoreError::TooLarge {
                url: target.text,
                size: b.len() as u64,
                limit: max_len,
            }),
            Err(size) => Err(StoreError::TooLarge {
                url: target.text,
                size,
                limit: max_len,
            }),
        }
    }
}
