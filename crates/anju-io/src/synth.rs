//! Synthetic registers in the import layout, for tests and benchmarks: deterministic,
//! every row valid, identity numbers with correct check digits.

use anju_core::household::Sex;
use anju_core::identity::compose;
use time::macros::date;

use crate::Kind;

const SURNAMES: &[&str] = &["张", "王", "李", "刘", "陈", "杨", "黄", "赵", "周", "吴"];
const GIVEN: &[&str] = &[
    "建国", "秀英", "志强", "桂芳", "海燕", "明", "小红", "德华", "玉兰", "春生",
];

/// The header row of a household file, in Chinese.
pub fn household_header() -> String {
    Kind::Households.zh_headers().join(",")
}

/// Appends household `i` (of `villages[i % len]`) as three member rows in CSV.
pub fn household_rows(out: &mut String, villages: &[&str], i: usize) {
    use std::fmt::Write;
    let v = villages[i % villages.len()];
    let s = SURNAMES[i % SURNAMES.len()];
    let head = format!("{s}{}", GIVEN[(i / 10) % GIVEN.len()]);
    let people = [
        (head.clone(), Sex::Male, (), "户主", ""),
        (
            format!("李{}", GIVEN[(i / 7) % GIVEN.len()]),
            Sex::Female,
            (),
            "配偶",
            "",
        ),
        (
            format!("{s}小{}", GIVEN[(i / 3) % GIVEN.len()]),
            Sex::Male,
            (),
            "子",
            "残疾",
        ),
    ];
    let phone = format!("13{:09}", i % 1_000_000_000);
    for (j, (name, sex, _, rel, vul)) in people.iter().enumerate() {
        // Member number → (region block, birth year, day, sequence) is one-to-one, so
        // every identity number in a file is distinct however large it is.
        let idx = i * 3 + j;
        let per_day = 500;
        let per_year = per_day * 365;
        let per_block = per_year * 80;
        let region = format!("{:06}", 500_000 + idx / per_block);
        let year = 1930 + ((idx % per_block) / per_year) as i32;
        let day = 1 + ((idx % per_year) / per_day) as u16;
        let birth = date!(2000 - 01 - 01)
            .replace_year(year)
            .and_then(|d| d.replace_ordinal(day))
            .unwrap_or(date!(2000 - 01 - 01));
        let id = compose(&region, birth, ((idx % per_day) * 2) as u16, *sex)
            .map(|n| n.expose().to_owned())
            .unwrap_or_default();
        let (hh, addr, ph) = if j == 0 {
            (
                head.as_str(),
                format!("{}组{}号", i % 12 + 1, i % 200 + 1),
                phone.as_str(),
            )
        } else {
            ("", String::new(), "")
        };
        let area = if j == 0 { v } else { "" };
        let _ = writeln!(
            out,
            ",H{i},{area},{addr},{hh},{ph},,,,{name},{},{},{id},{rel},{vul}",
            if *sex == Sex::Male { "男" } else { "女" },
            anju_core::household::format_date(birth),
        );
    }
}

/// A whole household file of `n` households, three members each.
pub fn households_csv(villages: &[&str], n: usize) -> String {
    let mut s = household_header();
    s.push('\n');
    for i in 0..n {
        household_rows(&mut s, villages, i);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_households_parse() {
        let csv = households_csv(&["500101001001", "500101001002"], 50);
        let t = crate::read_table(csv.as_bytes(), None).unwrap();
        let (b, _) = crate::parse_batch(Kind::Households, &t, date!(2026 - 11 - 27)).unwrap();
        assert_eq!(b.len(), 50);
    }
}
