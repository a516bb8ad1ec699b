//! The forms of a secret that are masked besides the value itself: what a
//! command is likely to print when it encodes the secret on its way out
//! (an `Authorization: Basic` header, a hex dump, a URL).
//!
//! - **base64**, standard (`+/`) and URL-safe (`-_`) alphabets, at each of
//!   the three alignments the secret can have inside a longer encoded
//!   text: the characters that depend only on the secret's bytes (those
//!   shared with the bytes around it are left, so the mask may leave a
//!   character or two of the encoding either side);
//! - **hex**, lower and upper case;
//! - **URL-encoded** (percent-encoding of every byte outside
//!   `A-Za-z0-9-._~`, with upper or lower case hex digits, a space as `%20`
//!   or `+`), when that differs from the value.
//!
//! A derived form shorter than [`MIN_DERIVED`] characters is not masked:
//! it would mask ordinary text. Other transformations (reversed, split or
//! re-encoded by the command itself, base64 wrapped across lines,
//! compressed, encrypted) are not recognised: no list can be complete.
//!
//! Pure; the encoders are a few lines each, written here rather than
//! pulled in as dependencies.

/// Shortest derived form that is masked.
pub const MIN_DERIVED: usize = 6;

/// Every derived form of `secret` worth masking (not the secret itself).
pub fn derived(secret: &[u8]) -> Vec<Vec<u8>> {
    let mut forms = Vec::new();
    for k in 0..3 {
        let fragment = base64_fragment(secret, k);
        forms.push(url_safe(&fragment));
        forms.push(fragment);
    }
    let hex = hex_lower(secret);
    forms.push(hex.to_ascii_uppercase());
    forms.push(hex);
    forms.extend(url_encoded(secret));
    forms.retain(|f| f.len() >= MIN_DERIVED && f.as_slice() != secret);
    forms.sort();
    forms.dedup();
    forms
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Base64 (no padding) of `bytes`.
fn base64(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len().div_ceil(3) * 4);
    for group in bytes.chunks(3) {
        let b = [
            group[0],
            *group.get(1).unwrap_or(&0),
            *group.get(2).unwrap_or(&0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        let chars = group.len() + 1;
        for i in 0..chars {
            out.push(BASE64[(n >> (18 - 6 * i) & 63) as usize]);
        }
    }
    out
}

/// The base64 characters fixed by `secret`'s bits alone when it follows
/// `k` other bytes (mod 3) in the encoded text.
fn base64_fragment(secret: &[u8], k: usize) -> Vec<u8> {
    let mut padded = vec![0u8; k];
    padded.extend_from_slice(secret);
    let encoded = base64(&padded);
    let first = (8 * k).div_ceil(6);
    let end = (8 * padded.len()) / 6;
    encoded.get(first..end).unwrap_or_default().to_vec()
}

fn url_safe(b64: &[u8]) -> Vec<u8> {
    b64.iter()
        .map(|&c| match c {
            b'+' => b'-',
            b'/' => b'_',
            c => c,
        })
        .collect()
}

fn hex_lower(bytes: &[u8]) -> Vec<u8> {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    bytes
        .iter()
        .flat_map(|b| [DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 15)]])
        .collect()
}

/// Percent-encodings of `secret` that differ from it.
fn url_encoded(secret: &[u8]) -> Vec<Vec<u8>> {
    let unreserved = |b: u8| b.is_ascii_alphanumeric() || b"-._~".contains(&b);
    if secret.iter().all(|&b| unreserved(b)) {
        return Vec::new();
    }
    let encode = |upper: bool, plus: bool| -> Vec<u8> {
        let mut out = Vec::new();
        for &b in secret {
            if unreserved(b) {
                out.push(b);
            } else if plus && b == b' ' {
                out.push(b'+');
            } else {
                let hex = hex_lower(&[b]);
                out.push(b'%');
                out.extend(if upper { hex.to_ascii_uppercase() } else { hex });
            }
        }
        out
    };
    vec![
        encode(true, false),
        encode(false, false),
        encode(true, true),
        encode(false, true),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(forms: &[Vec<u8>]) -> Vec<String> {
        forms
            .iter()
            .map(|f| String::from_utf8(f.clone()).unwrap())
            .collect()
    }

    #[test]
    fn base64_matches_the_standard_encoding() {
        assert_eq!(base64(b"Man"), b"TWFu");
        assert_eq!(base64(b"Ma"), b"TWE");
        assert_eq!(base64(b"hello world"), b"aGVsbG8gd29ybGQ");
    }

    /// Whatever surrounds the secret in an encoded text, one of its
    /// fragments is in the encoding.
    #[test]
    fn a_fragment_is_found_at_every_alignment_and_context() {
        let secret = b"s3cr3t-T0ken/+value";
        let forms = derived(secret);
        for before in 0..6 {
            for after in 0..4 {
                let mut data = b"xyzuvw"[..before].to_vec();
                data.extend_from_slice(secret);
                data.extend_from_slice(&b"qrs"[..after]);
                let encoded = base64(&data);
                for alphabet in [encoded.clone(), url_safe(&encoded)] {
                    let found = forms
                        .iter()
                        .any(|f| alphabet.windows(f.len()).any(|w| w == f.as_slice()));
                    assert!(found, "before {before}, after {after}");
                }
            }
        }
    }

    #[test]
    fn hex_and_url_forms_and_nothing_too_short() {
        let forms = text(&derived(b"a b/c&d"));
        for f in [
            "6120622f632664",
            "6120622F632664",
            "a%20b%2Fc%26d",
            "a+b%2fc%26d",
        ] {
            assert!(forms.iter().any(|x| x == f), "{f} missing from {forms:?}");
        }
        assert!(derived(b"ab").is_empty(), "{:?}", text(&derived(b"ab")));
        assert!(
            text(&derived(b"plain-token"))
                .iter()
                .all(|f| !f.contains('%'))
        );
    }
}
