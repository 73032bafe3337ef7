//! Execution order: priority and configured order, bent by requirements.
//!
//! A plugin's `requires:` (DevStack `plugin_requires`) names plugins that
//! must be in the set and run before it. The order is built one plugin at
//! a time: among the plugins whose requirements have all been placed, the
//! one with the lowest (priority, configured position) goes next. Without
//! requirements that is exactly "lowest priority first, ties in configured
//! order"; with them, a requirement always runs before the plugins that
//! require it (it wins over priority), and every other plugin keeps the
//! place priority and configuration give it as far as the requirements
//! allow. A requirement missing from the set and a cycle are load errors.

use crate::error::Error;

/// One plugin as ordering sees it.
pub(crate) struct Node<'a> {
    pub(crate) name: &'a str,
    pub(crate) version: String,
    pub(crate) priority: i32,
    pub(crate) requires: &'a [String],
    /// Where the plugin came from, for errors.
    pub(crate) origin: &'a str,
}

/// The positions of `nodes` (in configured order) in execution order.
pub(crate) fn execution_order(nodes: &[Node<'_>]) -> Result<Vec<usize>, Error> {
    let position = |name: &str| nodes.iter().position(|node| node.name == name);
    for node in nodes {
        if let Some(required) = node.requires.iter().find(|required| position(required).is_none()) {
            return Err(Error::MissingRequirement {
                plugin: node.name.to_string(),
                version: node.version.clone(),
                origin: node.origin.to_string(),
                required: required.clone(),
            });
        }
    }
    // Positions resolved once: `requires` holds only names in the set now.
    let requires: Vec<Vec<usize>> =
        nodes.iter().map(|node| node.requires.iter().filter_map(|name| position(name)).collect()).collect();
    let mut placed = vec![false; nodes.len()];
    let mut order = Vec::with_capacity(nodes.len());
    while order.len() < nodes.len() {
        let next = (0..nodes.len())
            .filter(|&index| !placed[index] && requires[index].iter().all(|&required| placed[required]))
            .min_by_key(|&index| (nodes[index].priority, index));
        match next {
            Some(index) => {
                placed[index] = true;
                order.push(index);
            }
            None => return Err(Error::RequirementCycle { cycle: cycle(nodes, &requires, &placed) }),
        }
    }
    Ok(order)
}

/// A cycle among the plugins not placed, as names from the first back to
/// it: every one of them has a requirement not placed, so following those
/// from any of them must come back round.
fn cycle(nodes: &[Node<'_>], requires: &[Vec<usize>], placed: &[bool]) -> Vec<String> {
    let unplaced_requirement = |index: usize| requires[index].iter().copied().find(|&required| !placed[required]);
    let mut path: Vec<usize> = Vec::new();
    let mut current = placed.iter().position(|placed| !placed);
    while let Some(index) = current {
        if let Some(start) = path.iter().position(|&seen| seen == index) {
            let mut names: Vec<String> = path[start..].iter().map(|&i| nodes[i].name.to_string()).collect();
            names.push(nodes[index].name.to_string());
            return names;
        }
        path.push(index);
        current = unplaced_requirement(index);
    }
    path.iter().map(|&i| nodes[i].name.to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(plugins: &[(&'static str, i32, &[&str])]) -> Result<Vec<&'static str>, String> {
        let requires: Vec<Vec<String>> =
            plugins.iter().map(|(_, _, requires)| requires.iter().map(|r| r.to_string()).collect()).collect();
        let nodes: Vec<Node<'_>> = plugins
            .iter()
            .zip(&requires)
            .map(|((name, priority, _), requires)| Node {
                name,
                version: "1.0.0".into(),
                priority: *priority,
                requires,
                origin: "test",
            })
            .collect();
        let names: Vec<&'static str> = plugins.iter().map(|(name, _, _)| *name).collect();
        execution_order(&nodes)
            .map(|order| order.into_iter().map(|index| names[index]).collect())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn without_requirements_it_is_priority_then_configured_order() {
        assert_eq!(order(&[("a", 5, &[]), ("b", 0, &[]), ("c", 5, &[]), ("d", -1, &[])]), Ok(vec!["d", "b", "a", "c"]));
    }

    #[test]
    fn a_requirement_runs_first_and_the_rest_keep_their_places() {
        // `b` (priority 0) requires `c` (priority 9): `c` moves before it,
        // `a` and `d` stay where priority puts them.
        assert_eq!(
            order(&[("a", -1, &[]), ("b", 0, &["c"]), ("c", 9, &[]), ("d", 1, &[])]),
            Ok(vec!["a", "d", "c", "b"])
        );
        assert_eq!(
            order(&[("top", 0, &["mid"]), ("mid", 0, &["base"]), ("base", 0, &[])]),
            Ok(vec!["base", "mid", "top"])
        );
    }

    #[test]
    fn a_missing_requirement_and_a_cycle_name_the_plugins() {
        let missing = order(&[("a", 0, &["ghost"])]).unwrap_err();
        assert!(missing.contains("`a` 1.0.0 (test) requires `ghost`"), "{missing}");
        let cycle = order(&[("x", 0, &[]), ("a", 0, &["b"]), ("b", 0, &["c"]), ("c", 0, &["a"])]).unwrap_err();
        assert!(cycle.contains("a -> b -> c -> a"), "{cycle}");
    }
}
