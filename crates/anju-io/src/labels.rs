//! Chinese labels of the coded choices. Imports accept the code or the label; exports
//! and templates write the label, which is what an office reads.

use anju_core::household::{PovertyCategory, Sex, StructureType, Vulnerability};
use anju_core::officer::{DutyRole, UnitKind};

pub fn sex_zh(s: Sex) -> &'static str {
    match s {
        Sex::Male => "男",
        Sex::Female => "女",
    }
}

pub const POVERTY: &[(PovertyCategory, &str)] = &[
    (PovertyCategory::None, "无"),
    (PovertyCategory::UnstableOutOfPoverty, "脱贫不稳定户"),
    (PovertyCategory::MarginalAtRisk, "边缘易致贫户"),
    (PovertyCategory::SuddenHardship, "突发严重困难户"),
];

pub const STRUCTURE: &[(StructureType, &str)] = &[
    (StructureType::ReinforcedConcrete, "钢筋混凝土"),
    (StructureType::BrickConcrete, "砖混"),
    (StructureType::BrickWood, "砖木"),
    (StructureType::EarthWood, "土木"),
    (StructureType::Stone, "石结构"),
    (StructureType::Wood, "木结构"),
    (StructureType::Steel, "钢结构"),
    (StructureType::Other, "其他"),
];

pub const UNIT_KIND: &[(UnitKind, &str)] = &[
    (UnitKind::Department, "部门"),
    (UnitKind::Government, "政府"),
    (UnitKind::VillageCommittee, "村(居)委会"),
    (UnitKind::ResponseTeam, "应急队伍"),
];

pub const DUTY_ROLE: &[(DutyRole, &str)] = &[
    (DutyRole::Leader, "领导"),
    (DutyRole::DutyOfficer, "值班人员"),
    (DutyRole::Cadre, "干部"),
    (DutyRole::GridMember, "网格员"),
];

pub const VULNERABILITY: &[(Vulnerability, &str)] = &[
    (Vulnerability::ElderlyAlone, "独居老人"),
    (Vulnerability::Disabled, "残疾"),
    (Vulnerability::Bedridden, "卧床"),
    (Vulnerability::Pregnant, "孕妇"),
    (Vulnerability::Child, "儿童"),
];

/// The label of `v` in `table`.
pub fn label<T: PartialEq + Copy>(table: &[(T, &'static str)], v: T) -> &'static str {
    table.iter().find(|(t, _)| *t == v).map_or("", |(_, l)| *l)
}

/// A cell holding a label, turned into the code the domain parser takes.
pub fn to_code<T: PartialEq + Copy>(
    table: &[(T, &'static str)],
    code: impl Fn(T) -> &'static str,
    cell: &str,
) -> String {
    table
        .iter()
        .find(|(_, l)| *l == cell)
        .map_or_else(|| cell.to_owned(), |(t, _)| code(*t).to_owned())
}

pub fn vulnerability_code(v: Vulnerability) -> &'static str {
    match v {
        Vulnerability::ElderlyAlone => "elderly_alone",
        Vulnerability::Disabled => "disabled",
        Vulnerability::Bedridden => "bedridden",
        Vulnerability::Pregnant => "pregnant",
        Vulnerability::Child => "child",
    }
}

/// Parses a list like `残疾;儿童` or `disabled, child` (separators `;` `；` `,` `，` `、`).
pub fn vulnerabilities(cell: &str) -> Result<Vec<Vulnerability>, String> {
    cell.split([';', '；', ',', '，', '、'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            VULNERABILITY
                .iter()
                .find(|(v, l)| *l == s || vulnerability_code(*v) == s)
                .map(|(v, _)| *v)
                .ok_or_else(|| {
                    format!(
                        "{s:?} is not one of {}",
                        VULNERABILITY
                            .iter()
                            .map(|(_, l)| *l)
                            .collect::<Vec<_>>()
                            .join("、")
                    )
                })
        })
        .collect()
}

pub fn vulnerabilities_zh(v: &[Vulnerability]) -> String {
    v.iter()
        .map(|f| label(VULNERABILITY, *f))
        .collect::<Vec<_>>()
        .join(";")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_codes_parse() {
        assert_eq!(
            vulnerabilities("残疾；child").unwrap(),
            vec![Vulnerability::Disabled, Vulnerability::Child]
        );
        assert!(vulnerabilities("富豪").is_err());
        assert_eq!(
            to_code(STRUCTURE, StructureType::as_str, "砖混"),
            "brick_concrete"
        );
        assert_eq!(to_code(STRUCTURE, StructureType::as_str, "stone"), "stone");
    }
}
