//! The demo towns' 责任清单, from the same routes the history generator uses: every active
//! category has a town-level rule naming the town department that leads it and who assists; the
//! categories a 村/居委 settles get a rule per 村/居 naming its committee.

use chengyun_domain::category::{CategoryCatalog, CategoryKind};
use chengyun_domain::demo::DemoTowns;
use chengyun_domain::org::UnitKind;
use chengyun_domain::region::RegionLevel;
use chengyun_domain::routing::RoutingRule;

use crate::pools::{route_of, Route};

/// 道路不洁 and 道路遗撒: dispatched automatically in 航头镇, to show the setting — simple street
/// cleaning the 环卫所 always takes.
const AUTO_DISPATCHED: [&str; 2] = ["SJ-0104", "SJ-0112"];
const MAX_ASSISTS: usize = 2;

/// Rules for every active category in every demo town that has the units.
pub fn demo_rules(demo: &DemoTowns, catalog: &CategoryCatalog) -> Vec<RoutingRule> {
    let tree = demo.region_tree();
    let unit_exists = |code: &str| demo.units.iter().any(|u| u.code == code && u.active);
    let mut rules = Vec::new();
    for town in tree.iter().filter(|r| r.level == RegionLevel::Town) {
        let department = |route: Route| route.suffix().map(|s| format!("{}-{s}", town.code)).filter(|c| unit_exists(c));
        let Some(fallback) = department(Route::CityManagement) else { continue };
        let committees: Vec<(&str, &str)> = demo
            .units
            .iter()
            .filter(|u| u.active && matches!(u.kind, UnitKind::ResidentsCommittee | UnitKind::VillageCommittee))
            .filter(|u| tree.contains(&town.code, &u.region_code))
            .map(|u| (u.region_code.as_str(), u.code.as_str()))
            .collect();
        for category in catalog.iter_active() {
            let route = route_of(category);
            let local = matches!(route, Route::Committee | Route::Property);
            // At town level a committee's matter falls to the 城管中队, which can reach every 村/居.
            let lead = if local { fallback.clone() } else { department(route).unwrap_or_else(|| fallback.clone()) };
            let assists: Vec<String> = route
                .helpers()
                .iter()
                .filter_map(|h| department(*h))
                .filter(|u| *u != lead)
                .take(MAX_ASSISTS)
                .collect();
            let auto_dispatch = AUTO_DISPATCHED.contains(&category.code.as_str()) && town.code == "310115137";
            rules.push(RoutingRule {
                category: category.code.clone(),
                region: town.code.clone(),
                lead,
                assists: if category.kind == CategoryKind::Event { assists } else { vec![] },
                auto_dispatch,
                note: Some("演示责任清单".into()),
            });
            if local {
                for (village, committee) in &committees {
                    rules.push(RoutingRule {
                        category: category.code.clone(),
                        region: (*village).to_string(),
                        lead: (*committee).to_string(),
                        assists: vec![],
                        auto_dispatch: false,
                        note: Some("演示责任清单：由村/居委会属地处置".into()),
                    });
                }
            }
        }
    }
    rules
}

#[cfg(test)]
mod tests {
    use super::*;
    use chengyun_domain::routing::{check_rule, ResponsibilityList};

    #[test]
    fn every_demo_category_is_covered_in_every_town_and_every_rule_is_valid() {
        let demo = DemoTowns::bundled();
        let catalog = CategoryCatalog::bundled().unwrap();
        let tree = demo.region_tree();
        let rules = demo_rules(&demo, &catalog);
        for r in &rules {
            check_rule(r, &catalog, &tree, &demo.units).unwrap_or_else(|e| panic!("{r:?}: {e}"));
        }
        let list = ResponsibilityList::new(rules).unwrap();
        for town in ["310115137", "310112107", "310151114"] {
            let villages: Vec<_> = tree.children(town).flat_map(|c| std::iter::once(c.code.clone()).chain(tree.children(&c.code).map(|v| v.code.clone()))).collect();
            for c in catalog.iter_active() {
                assert!(list.propose(c, town, &tree).is_some(), "{} in {town}", c.code);
                for v in &villages {
                    assert!(list.propose(c, v, &tree).is_some(), "{} in {v}", c.code);
                }
            }
        }
    }
}
