//! Phone numbers: mainland mobiles (11 digits from 13x–19x) and landlines with area code.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error(
        "a phone number is a mobile (11 digits starting 13–19) or a landline like 023-12345678"
    )]
    Malformed,
}

/// A phone number, normalised (no spaces). Personal data: masked when shown.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

impl Phone {
    pub fn parse(s: &str) -> Result<Self, PhoneError> {
        let t: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        let t = t.strip_prefix("+86").unwrap_or(&t).to_owned();
        let b = t.as_bytes();
        let mobile = b.len() == 11
            && b.iter().all(u8::is_ascii_digit)
            && b[0] == b'1'
            && (b'3'..=b'9').contains(&b[1]);
        let landline = match t.split_once('-') {
            Some((area, local)) => {
                area.len() >= 3
                    && area.len() <= 4
                    && area.starts_with('0')
                    && area.bytes().all(|c| c.is_ascii_digit())
                    && (7..=8).contains(&local.len())
                    && local.bytes().all(|c| c.is_ascii_digit())
            }
            None => false,
        };
        if mobile || landline {
            Ok(Phone(t))
        } else {
            Err(PhoneError::Malformed)
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn masked(&self) -> String {
        mask_phone(&self.0)
    }
}

/// `138****5678`: the first three and last four digits kept.
pub fn mask_phone(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= 7 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Phone({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn mobiles_and_landlines() {
        assert_eq!(Phone::parse("13812345678").unwrap().masked(), "138****5678");
        assert_eq!(
            Phone::parse("+86 138 1234 5678").unwrap().expose(),
            "13812345678"
        );
        assert!(Phone::parse("023-63851234").is_ok());
        assert!(Phone::parse("12812345678").is_err());
        assert!(Phone::parse("1381234567").is_err());
        assert!(Phone::parse("hello").is_err());
        assert!(Phone::parse("").is_err());
    }

    proptest! {
        #[test]
        fn masking_hides_the_middle(n in 13000000000u64..19999999999) {
            let p = Phone::parse(&n.to_string()).unwrap();
            let m = p.masked();
            prop_assert_eq!(m.len(), 11);
            prop_assert_eq!(&m[3..7], "****");
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,20}") {
            let _ = Phone::parse(&s);
        }
    }
}
