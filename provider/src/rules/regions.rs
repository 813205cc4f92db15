//! Azure regions as the Service Tags API spells them in regional tag names: `westeurope` is
//! `BatchNodeManagement.WestEurope`, `eastus2` is `Storage.EastUS2`. Rules name tags in
//! messages, and the rule set and routes write them, the way Azure lists them.

/// Region (lower case, no spaces) and its spelling in regional service tag names, for the
/// public, US Government and China clouds.
const TAG_SPELLINGS: &[(&str, &str)] = &[
    ("australiacentral", "AustraliaCentral"),
    ("australiacentral2", "AustraliaCentral2"),
    ("australiaeast", "AustraliaEast"),
    ("australiasoutheast", "AustraliaSoutheast"),
    ("austriaeast", "AustriaEast"),
    ("belgiumcentral", "BelgiumCentral"),
    ("brazilsouth", "BrazilSouth"),
    ("brazilsoutheast", "BrazilSoutheast"),
    ("canadacentral", "CanadaCentral"),
    ("canadaeast", "CanadaEast"),
    ("centralindia", "CentralIndia"),
    ("centralus", "CentralUS"),
    ("centraluseuap", "CentralUSEUAP"),
    ("chilecentral", "ChileCentral"),
    ("chinaeast", "ChinaEast"),
    ("chinaeast2", "ChinaEast2"),
    ("chinaeast3", "ChinaEast3"),
    ("chinanorth", "ChinaNorth"),
    ("chinanorth2", "ChinaNorth2"),
    ("chinanorth3", "ChinaNorth3"),
    ("denmarkeast", "DenmarkEast"),
    ("eastasia", "EastAsia"),
    ("eastus", "EastUS"),
    ("eastus2", "EastUS2"),
    ("eastus2euap", "EastUS2EUAP"),
    ("francecentral", "FranceCentral"),
    ("francesouth", "FranceSouth"),
    ("germanynorth", "GermanyNorth"),
    ("germanywestcentral", "GermanyWestCentral"),
    ("indonesiacentral", "IndonesiaCentral"),
    ("israelcentral", "IsraelCentral"),
    ("italynorth", "ItalyNorth"),
    ("japaneast", "JapanEast"),
    ("japanwest", "JapanWest"),
    ("jioindiacentral", "JioIndiaCentral"),
    ("jioindiawest", "JioIndiaWest"),
    ("koreacentral", "KoreaCentral"),
    ("koreasouth", "KoreaSouth"),
    ("malaysiawest", "MalaysiaWest"),
    ("mexicocentral", "MexicoCentral"),
    ("newzealandnorth", "NewZealandNorth"),
    ("northcentralus", "NorthCentralUS"),
    ("northeurope", "NorthEurope"),
    ("norwayeast", "NorwayEast"),
    ("norwaywest", "NorwayWest"),
    ("polandcentral", "PolandCentral"),
    ("qatarcentral", "QatarCentral"),
    ("southafricanorth", "SouthAfricaNorth"),
    ("southafricawest", "SouthAfricaWest"),
    ("southcentralus", "SouthCentralUS"),
    ("southeastasia", "SoutheastAsia"),
    ("southindia", "SouthIndia"),
    ("spaincentral", "SpainCentral"),
    ("swedencentral", "SwedenCentral"),
    ("swedensouth", "SwedenSouth"),
    ("switzerlandnorth", "SwitzerlandNorth"),
    ("switzerlandwest", "SwitzerlandWest"),
    ("taiwannorth", "TaiwanNorth"),
    ("uaecentral", "UAECentral"),
    ("uaenorth", "UAENorth"),
    ("uksouth", "UKSouth"),
    ("ukwest", "UKWest"),
    ("usdodcentral", "USDoDCentral"),
    ("usdodeast", "USDoDEast"),
    ("usgovarizona", "USGovArizona"),
    ("usgovtexas", "USGovTexas"),
    ("usgovvirginia", "USGovVirginia"),
    ("westcentralus", "WestCentralUS"),
    ("westeurope", "WestEurope"),
    ("westindia", "WestIndia"),
    ("westus", "WestUS"),
    ("westus2", "WestUS2"),
    ("westus3", "WestUS3"),
];

/// Each region's secondary region, its pair for disaster recovery, where Azure documents one
/// (Azure cross-region replication, "region pairs": [`super::sources::REGION_PAIRS`]). Most
/// pairs go both ways; a few regions pair with a region whose own pair is another.
const PAIRS: &[(&str, &str)] = &[
    ("australiacentral", "australiacentral2"),
    ("australiacentral2", "australiacentral"),
    ("australiaeast", "australiasoutheast"),
    ("australiasoutheast", "australiaeast"),
    ("brazilsouth", "southcentralus"),
    ("brazilsoutheast", "brazilsouth"),
    ("canadacentral", "canadaeast"),
    ("canadaeast", "canadacentral"),
    ("centralindia", "southindia"),
    ("centralus", "eastus2"),
    ("chinaeast", "chinanorth"),
    ("chinaeast2", "chinanorth2"),
    ("chinaeast3", "chinanorth3"),
    ("chinanorth", "chinaeast"),
    ("chinanorth2", "chinaeast2"),
    ("chinanorth3", "chinaeast3"),
    ("eastasia", "southeastasia"),
    ("eastus", "westus"),
    ("eastus2", "centralus"),
    ("francecentral", "francesouth"),
    ("francesouth", "francecentral"),
    ("germanynorth", "germanywestcentral"),
    ("germanywestcentral", "germanynorth"),
    ("japaneast", "japanwest"),
    ("japanwest", "japaneast"),
    ("jioindiacentral", "jioindiawest"),
    ("jioindiawest", "jioindiacentral"),
    ("koreacentral", "koreasouth"),
    ("koreasouth", "koreacentral"),
    ("northcentralus", "southcentralus"),
    ("northeurope", "westeurope"),
    ("norwayeast", "norwaywest"),
    ("norwaywest", "norwayeast"),
    ("southafricanorth", "southafricawest"),
    ("southafricawest", "southafricanorth"),
    ("southcentralus", "northcentralus"),
    ("southeastasia", "eastasia"),
    ("southindia", "centralindia"),
    ("swedencentral", "swedensouth"),
    ("swedensouth", "swedencentral"),
    ("switzerlandnorth", "switzerlandwest"),
    ("switzerlandwest", "switzerlandnorth"),
    ("uaecentral", "uaenorth"),
    ("uaenorth", "uaecentral"),
    ("uksouth", "ukwest"),
    ("ukwest", "uksouth"),
    ("usdodcentral", "usdodeast"),
    ("usdodeast", "usdodcentral"),
    ("usgovarizona", "usgovtexas"),
    ("usgovtexas", "usgovvirginia"),
    ("usgovvirginia", "usgovtexas"),
    ("westcentralus", "westus2"),
    ("westeurope", "northeurope"),
    ("westindia", "southindia"),
    ("westus", "eastus"),
    ("westus2", "westcentralus"),
    ("westus3", "eastus"),
];

fn key(region: &str) -> String {
    region
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase()
}

/// `region`'s pair (lower case, no spaces), or `None` where Azure documents none.
pub fn paired_region(region: &str) -> Option<&'static str> {
    let key = key(region);
    PAIRS.iter().find(|(r, _)| *r == key).map(|(_, pair)| *pair)
}

/// `region` as written, then its pair where there is one: the regions whose
/// `AzureMachineLearning` prefixes today's guidance routes past a tunnel.
pub fn with_pair(region: &str) -> Vec<String> {
    let mut regions = vec![region.to_owned()];
    regions.extend(paired_region(region).map(str::to_owned));
    regions
}

/// `region` (any casing, spaces or not) as regional service tag names spell it; a region this
/// table does not know yet is kept as written, which Azure also accepts (tags compare
/// without regard to case).
pub fn tag_spelling(region: &str) -> String {
    let key = key(region);
    TAG_SPELLINGS
        .iter()
        .find(|(name, _)| *name == key)
        .map_or_else(|| region.to_owned(), |(_, spelling)| (*spelling).to_owned())
}

/// The regional tag `service.<region>`, spelt as Azure lists it: `Storage.WestEurope`.
pub fn regional_tag(service: &str, region: &str) -> String {
    format!("{service}.{}", tag_spelling(region))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_are_spelt_as_service_tags_spell_them() {
        for (written, spelt) in [
            ("westeurope", "WestEurope"),
            ("West Europe", "WestEurope"),
            ("EASTUS2", "EastUS2"),
            ("uaenorth", "UAENorth"),
            ("usgovvirginia", "USGovVirginia"),
            ("southeastasia", "SoutheastAsia"),
            ("newregion", "newregion"),
        ] {
            assert_eq!(tag_spelling(written), spelt, "{written}");
        }
        assert_eq!(
            regional_tag("BatchNodeManagement", "eastus"),
            "BatchNodeManagement.EastUS"
        );
    }

    #[test]
    fn pairs_are_known_regions_sorted_and_mostly_mutual() {
        let names: Vec<&str> = PAIRS.iter().map(|(n, _)| *n).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(names, sorted);
        let known = |r: &str| TAG_SPELLINGS.iter().any(|(n, _)| *n == r);
        for (region, pair) in PAIRS {
            assert!(known(region) && known(pair), "{region} {pair}");
            assert_ne!(region, pair);
        }
        // Pairs documented one way only: a region pairing with one already paired.
        let one_way: Vec<&str> = PAIRS
            .iter()
            .filter(|(region, pair)| paired_region(pair) != Some(region))
            .map(|(region, _)| *region)
            .collect();
        assert_eq!(
            one_way,
            [
                "brazilsouth",
                "brazilsoutheast",
                "usgovarizona",
                "westindia",
                "westus3"
            ]
        );
        assert_eq!(with_pair("West Europe"), ["West Europe", "northeurope"]);
        assert_eq!(with_pair("eastus2"), ["eastus2", "centralus"]);
        assert_eq!(with_pair("qatarcentral"), ["qatarcentral"]);
        assert_eq!(paired_region("polandcentral"), None);
    }

    #[test]
    fn the_table_is_sorted_lower_case_and_one_entry_per_region() {
        let names: Vec<&str> = TAG_SPELLINGS.iter().map(|(n, _)| *n).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(names, sorted);
        for (name, spelt) in TAG_SPELLINGS {
            assert_eq!(name.to_ascii_lowercase(), *name);
            assert_eq!(spelt.to_ascii_lowercase(), *name);
        }
    }
}
