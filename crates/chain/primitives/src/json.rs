//! JSON shapes shared by every module's wire types (used with `#[serde(with = "...")]`).

/// `u128` as a decimal string: serde cannot buffer a `u128` inside an internally tagged enum
/// (every call, event and failure is one), and JavaScript clients cannot hold it as a number.
pub mod u128_string {
    use serde::{Deserialize, Deserializer, Serializer, de};

    /// Writes the decimal digits.
    pub fn serialize<S: Serializer>(v: &u128, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(v)
    }

    /// Reads decimal digits; anything else is an error naming the input.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u128, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse()
            .map_err(|_| de::Error::custom(format!("'{s}' is not a u128 decimal string")))
    }
}

/// Bytes as `0x`-prefixed hex (the prefix is optional on input).
pub mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer, de};

    /// Writes `0x` and the lowercase hex.
    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("0x{}", hex::encode(v)))
    }

    /// Reads hex with or without `0x`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        hex::decode(s.strip_prefix("0x").unwrap_or(&s)).map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    #[serde(tag = "t")]
    enum Tagged {
        A {
            #[serde(with = "super::u128_string")]
            n: u128,
            #[serde(with = "super::hex_bytes")]
            b: Vec<u8>,
        },
    }

    #[test]
    fn round_trip_inside_a_tagged_enum_and_refuse_garbage() {
        let v = Tagged::A {
            n: u128::MAX,
            b: vec![0xab, 1],
        };
        let j = serde_json::to_string(&v).expect("json");
        assert_eq!(
            j,
            r#"{"t":"A","n":"340282366920938463463374607431768211455","b":"0xab01"}"#
        );
        assert_eq!(serde_json::from_str::<Tagged>(&j).expect("back"), v);
        assert!(serde_json::from_str::<Tagged>(r#"{"t":"A","n":"-1","b":"0x"}"#).is_err());
        assert!(serde_json::from_str::<Tagged>(r#"{"t":"A","n":"1","b":"zz"}"#).is_err());
    }
}
