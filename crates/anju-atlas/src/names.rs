//! Short Chinese names and English names.

use anju_core::AreaCode;
use pinyin::ToPinyin;

/// The municipality's official English name.
pub(crate) const CITY_EN: &str = "Chongqing";

/// Official English names of the 38 districts and counties, with the Chinese name so that a
/// test can catch a code that was renumbered or reassigned in a newer NBS table.
///
/// Hand-written because romanising these mechanically goes wrong: the ethnic autonomous
/// counties have fixed translations, and 长寿/南岸 need a reading or an apostrophe that plain
/// pinyin does not give.
pub(crate) const DISTRICTS: [(&str, &str, &str); 38] = [
    ("500101", "万州区", "Wanzhou District"),
    ("500102", "涪陵区", "Fuling District"),
    ("500103", "渝中区", "Yuzhong District"),
    ("500104", "大渡口区", "Dadukou District"),
    ("500105", "江北区", "Jiangbei District"),
    ("500106", "沙坪坝区", "Shapingba District"),
    ("500107", "九龙坡区", "Jiulongpo District"),
    ("500108", "南岸区", "Nan'an District"),
    ("500109", "北碚区", "Beibei District"),
    ("500110", "綦江区", "Qijiang District"),
    ("500111", "大足区", "Dazu District"),
    ("500112", "渝北区", "Yubei District"),
    ("500113", "巴南区", "Banan District"),
    ("500114", "黔江区", "Qianjiang District"),
    ("500115", "长寿区", "Changshou District"),
    ("500116", "江津区", "Jiangjin District"),
    ("500117", "合川区", "Hechuan District"),
    ("500118", "永川区", "Yongchuan District"),
    ("500119", "南川区", "Nanchuan District"),
    ("500120", "璧山区", "Bishan District"),
    ("500151", "铜梁区", "Tongliang District"),
    ("500152", "潼南区", "Tongnan District"),
    ("500153", "荣昌区", "Rongchang District"),
    ("500154", "开州区", "Kaizhou District"),
    ("500155", "梁平区", "Liangping District"),
    ("500156", "武隆区", "Wulong District"),
    ("500229", "城口县", "Chengkou County"),
    ("500230", "丰都县", "Fengdu County"),
    ("500231", "垫江县", "Dianjiang County"),
    ("500233", "忠县", "Zhong County"),
    ("500235", "云阳县", "Yunyang County"),
    ("500236", "奉节县", "Fengjie County"),
    ("500237", "巫山县", "Wushan County"),
    ("500238", "巫溪县", "Wuxi County"),
    (
        "500240",
        "石柱土家族自治县",
        "Shizhu Tujia Autonomous County",
    ),
    (
        "500241",
        "秀山土家族苗族自治县",
        "Xiushan Tujia and Miao Autonomous County",
    ),
    (
        "500242",
        "酉阳土家族苗族自治县",
        "Youyang Tujia and Miao Autonomous County",
    ),
    (
        "500243",
        "彭水苗族土家族自治县",
        "Pengshui Miao and Tujia Autonomous County",
    ),
];

/// The official English name of a district or county, if it is one of the 38.
pub(crate) fn district_english(code: AreaCode) -> Option<&'static str> {
    let code = code.to_string();
    DISTRICTS
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, _, en)| *en)
}

/// The name people use for a village or community: the NBS table names the committee
/// (东方广场社区居民委员会), the map shows the place (东方广场社区).
///
/// A committee named `X村民委员会` whose `X` does not already end in 村 (248 of them, such as
/// 同心村民委员会) is the committee of 同心村: the table folds 村 + 村民委员会 into one 村, so
/// it is put back rather than leaving a bare 同心 that reads as no kind of place.
pub(crate) fn short_name(official: &str) -> String {
    if let Some(stem) = official.strip_suffix("居民委员会") {
        return stem.to_owned();
    }
    if let Some(stem) = official.strip_suffix("村民委员会") {
        return if stem.ends_with('村') {
            stem.to_owned()
        } else {
            format!("{stem}村")
        };
    }
    official.to_owned()
}

/// Generic suffixes of towns and villages and their English. 化龙桥社区工作站 is the one
/// row of the 2023 table that names an office rather than a community.
const SUFFIXES: [(&str, &str); 6] = [
    ("社区工作站", "Community Workstation"),
    ("街道", "Subdistrict"),
    ("社区", "Community"),
    ("镇", "Town"),
    ("乡", "Township"),
    ("村", "Village"),
];

/// Ethnic groups that name ethnic townships (民族乡); the three in Chongqing's table come
/// first, the rest are neighbours' that a future table could bring.
const ETHNIC_GROUPS: [(&str, &str); 10] = [
    ("土家族", "Tujia"),
    ("苗族", "Miao"),
    ("仡佬族", "Gelao"),
    ("回族", "Hui"),
    ("彝族", "Yi"),
    ("藏族", "Tibetan"),
    ("侗族", "Dong"),
    ("布依族", "Bouyei"),
    ("壮族", "Zhuang"),
    ("蒙古族", "Mongol"),
];

/// The English name of a town, township, subdistrict, village or community: the pinyin of
/// its stem as one capitalised word, then the translated generic suffix.
///
/// `高笋塘街道` → `Gaosuntang Subdistrict`, `东方广场社区` → `Dongfangguangchang Community`,
/// `地宝土家族乡` → `Dibao Tujia Ethnic Township`. A name with no known suffix is romanised
/// whole.
///
/// The pinyin is per character, so a heteronym gets its most common reading, which is not
/// always the one a place uses locally (a few readings common in place names, such as 长
/// cháng and 都 dū, are fixed up); these names are a convenience for English-language
/// screens, not an official romanisation. Characters with no pinyin are kept as they are.
pub fn english_name(name_zh: &str) -> String {
    for (zh, en) in SUFFIXES {
        let Some(stem) = name_zh.strip_suffix(zh) else {
            continue;
        };
        if stem.is_empty() {
            break;
        }
        if zh == "乡" {
            let (stem, groups) = split_ethnic_groups(stem);
            if !groups.is_empty() && !stem.is_empty() {
                return format!(
                    "{} {} Ethnic Township",
                    pinyin_word(stem),
                    groups.join(" and ")
                );
            }
        }
        return format!("{} {en}", pinyin_word(stem));
    }
    pinyin_word(name_zh)
}

/// Strips ethnic group names off the end of a township stem: 石桥苗族土家族 gives 石桥 and
/// `["Miao", "Tujia"]`, in the order they are written.
fn split_ethnic_groups(mut stem: &str) -> (&str, Vec<&'static str>) {
    let mut groups = Vec::new();
    'outer: loop {
        for (zh, en) in ETHNIC_GROUPS {
            if let Some(rest) = stem.strip_suffix(zh) {
                groups.push(en);
                stem = rest;
                continue 'outer;
            }
        }
        break;
    }
    groups.reverse();
    (stem, groups)
}

/// Readings that place names use and the pinyin table does not list first.
fn place_reading(c: char) -> Option<&'static str> {
    match c {
        '长' => Some("chang"),
        '都' => Some("du"),
        '重' => Some("chong"),
        '泊' => Some("bo"),
        _ => None,
    }
}

/// Marks that join two names into one (华润·凌江社区): each part becomes its own word.
const NAME_SEPARATORS: [char; 4] = ['·', '・', '•', ' '];

/// Plain pinyin of `text` as one capitalised word per part, with the apostrophe that Hanyu
/// Pinyin puts before a syllable starting with a, o or e (南岸 → Nan'an), so that syllables
/// stay readable.
pub(crate) fn pinyin_word(text: &str) -> String {
    text.split(NAME_SEPARATORS)
        .filter(|part| !part.is_empty())
        .map(pinyin_part)
        .collect::<Vec<_>>()
        .join(" ")
}

fn pinyin_part(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    let mut previous_was_syllable = false;
    for c in text.chars() {
        let syllable = place_reading(c).or_else(|| c.to_pinyin().map(|p| p.plain()));
        match syllable {
            Some(s) => {
                if previous_was_syllable && s.starts_with(['a', 'o', 'e']) {
                    out.push('\'');
                }
                out.push_str(s);
                previous_was_syllable = true;
            }
            None => {
                out.push(c);
                previous_was_syllable = false;
            }
        }
    }
    capitalise(&out)
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_drop_the_committee() {
        assert_eq!(short_name("东方广场社区居民委员会"), "东方广场社区");
        assert_eq!(short_name("太白村村民委员会"), "太白村");
        assert_eq!(short_name("同心村民委员会"), "同心村");
        assert_eq!(short_name("化龙桥社区工作站"), "化龙桥社区工作站");
    }

    #[test]
    fn english_names_translate_the_suffix() {
        assert_eq!(english_name("高笋塘街道"), "Gaosuntang Subdistrict");
        assert_eq!(english_name("东方广场社区"), "Dongfangguangchang Community");
        assert_eq!(english_name("太白村"), "Taibai Village");
        assert_eq!(english_name("龙驹镇"), "Longju Town");
        assert_eq!(english_name("白土乡"), "Baitu Township");
        assert_eq!(english_name("地宝土家族乡"), "Dibao Tujia Ethnic Township");
        assert_eq!(
            english_name("石桥苗族土家族乡"),
            "Shiqiao Miao and Tujia Ethnic Township"
        );
        assert_eq!(
            english_name("浩口苗族仡佬族乡"),
            "Haokou Miao and Gelao Ethnic Township"
        );
        assert_eq!(
            english_name("化龙桥社区工作站"),
            "Hualongqiao Community Workstation"
        );
    }

    #[test]
    fn english_names_keep_what_they_cannot_translate() {
        // No known suffix: the whole name is romanised.
        assert_eq!(english_name("盐井凼"), "Yanjingdang");
        // A bare suffix is a name, not a suffix.
        assert_eq!(english_name("村"), "Cun");
        // Characters without pinyin stay; Latin letters are capitalised like any word start.
        assert_eq!(english_name("a区"), "Aqu");
        assert_eq!(english_name("3号村"), "3hao Village");
        assert_eq!(english_name(""), "");
    }

    #[test]
    fn apostrophe_and_place_readings() {
        assert_eq!(pinyin_word("南岸"), "Nan'an");
        assert_eq!(pinyin_word("长寿"), "Changshou");
        assert_eq!(pinyin_word("丰都"), "Fengdu");
        assert_eq!(pinyin_word("重庆"), "Chongqing");
        assert_eq!(pinyin_word("绿桃"), "Lütao");
        assert_eq!(pinyin_word("华润·凌江"), "Huarun Lingjiang");
        assert_eq!(pinyin_word("大青㭎"), "Daqinggang");
    }
}
