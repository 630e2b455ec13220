//! Resident identity numbers (GB 11643-1999): 17 digits and an ISO 7064 MOD 11-2 check
//! character. They are personal data: kept whole in the store, masked whenever shown.

use std::fmt;

use time::{Date, Month};

use crate::household::Sex;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdNumberError {
    #[error("an identity number has 18 characters, found {0}")]
    BadLength(usize),
    #[error("an identity number has 17 digits and a final digit or X")]
    BadCharacter,
    #[error("the check digit is wrong: expected {expected}")]
    CheckDigit { expected: char },
    #[error("the birth date inside the identity number is not a date")]
    BadBirthDate,
}

/// A well-formed identity number. Its `Debug` and `Display` are masked so it cannot leak
/// into logs by accident; [`IdNumber::expose`] gives the whole number to the store.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdNumber(String);

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// The check character for the first 17 digits.
pub fn check_char(first17: &[u8; 17]) -> char {
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    CHECK[(sum % 11) as usize]
}

impl IdNumber {
    pub fn parse(s: &str) -> Result<Self, IdNumberError> {
        let s = s.trim().to_ascii_uppercase();
        if s.len() != 18 {
            return Err(IdNumberError::BadLength(s.chars().count()));
        }
        let b = s.as_bytes();
        if !b[..17].iter().all(u8::is_ascii_digit) || !(b[17].is_ascii_digit() || b[17] == b'X') {
            return Err(IdNumberError::BadCharacter);
        }
        let mut first = [0u8; 17];
        first.copy_from_slice(&b[..17]);
        let expected = check_char(&first);
        if b[17] as char != expected {
            return Err(IdNumberError::CheckDigit { expected });
        }
        let id = IdNumber(s);
        id.birth_date().ok_or(IdNumberError::BadBirthDate)?;
        Ok(id)
    }

    pub fn birth_date(&self) -> Option<Date> {
        let b = &self.0[6..14];
        let y: i32 = b[0..4].parse().ok()?;
        let m: u8 = b[4..6].parse().ok()?;
        let d: u8 = b[6..8].parse().ok()?;
        Date::from_calendar_date(y, Month::try_from(m).ok()?, d).ok()
    }

    /// The 17th digit is odd for men and even for women.
    pub fn sex(&self) -> Sex {
        if (self.0.as_bytes()[16] - b'0') % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn masked(&self) -> String {
        mask_id_number(&self.0)
    }
}

/// `510***********1234`: the first three and last four characters, stars between.
pub fn mask_id_number(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= 7 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}

impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdNumber({})", self.masked())
    }
}

impl fmt::Display for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// Builds a valid identity number from its parts (demo data and tests).
pub fn compose(region: &str, birth: Date, sequence: u16, sex: Sex) -> Option<IdNumber> {
    if region.len() != 6 || !region.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // The last of the three sequence digits carries the sex.
    let mut seq = sequence % 1000;
    let odd = seq % 2 == 1;
    if odd != (sex == Sex::Male) {
        seq = if seq == 999 { 998 } else { seq + 1 };
    }
    let s = format!(
        "{region}{:04}{:02}{:02}{seq:03}",
        birth.year(),
        u8::from(birth.month()),
        birth.day()
    );
    let mut first = [0u8; 17];
    first.copy_from_slice(s.as_bytes());
    let c = check_char(&first);
    IdNumber::parse(&format!("{s}{c}")).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    #[test]
    fn accepts_a_known_valid_number() {
        // The worked example of GB 11643-1999.
        let id = IdNumber::parse("11010519491231002X").unwrap();
        assert_eq!(id.birth_date(), Some(date!(1949 - 12 - 31)));
        assert_eq!(id.sex(), Sex::Female);
        assert_eq!(id.masked(), "110***********002X");
        assert_eq!(format!("{id:?}"), "IdNumber(110***********002X)");
    }

    #[test]
    fn rejects_wrong_check_digit() {
        assert_eq!(
            IdNumber::parse("110105194912310021"),
            Err(IdNumberError::CheckDigit { expected: 'X' })
        );
        assert_eq!(IdNumber::parse("1101"), Err(IdNumberError::BadLength(4)));
        assert_eq!(
            IdNumber::parse("11010519491231002Y"),
            Err(IdNumberError::BadCharacter)
        );
    }

    #[test]
    fn rejects_impossible_birth_date() {
        let s = "11010519490231001";
        let mut first = [0u8; 17];
        first.copy_from_slice(s.as_bytes());
        let full = format!("{s}{}", check_char(&first));
        assert_eq!(IdNumber::parse(&full), Err(IdNumberError::BadBirthDate));
    }

    proptest! {
        #[test]
        fn composed_numbers_parse_back(days in 0i32..40000, seq in 0u16..1000, male: bool) {
            let birth = date!(1920 - 01 - 01) + time::Duration::days(i64::from(days));
            let sex = if male { Sex::Male } else { Sex::Female };
            let id = compose("500101", birth, seq, sex).unwrap();
            prop_assert_eq!(id.birth_date(), Some(birth));
            prop_assert_eq!(id.sex(), sex);
            prop_assert_eq!(id.masked().len(), 18);
        }

        #[test]
        fn any_single_digit_change_is_caught(days in 0i32..40000, pos in 0usize..17, delta in 1u8..10) {
            let birth = date!(1920 - 01 - 01) + time::Duration::days(i64::from(days));
            let id = compose("500101", birth, 7, Sex::Male).unwrap();
            let mut b = id.expose().as_bytes().to_vec();
            b[pos] = b'0' + (b[pos] - b'0' + delta) % 10;
            let s = String::from_utf8(b).unwrap();
            prop_assert!(IdNumber::parse(&s).is_err());
        }
    }
}
