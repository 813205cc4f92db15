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

/// `region` (any casing, spaces or not) as regional service tag names spell it; a region this
/// table does not know yet is kept as written, which Azure also accepts (tags compare
/// without regard to case).
pub fn tag_spelling(region: &str) -> String {
    let key: String = region
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
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
