//! "Did you mean ...?": the one place that picks the name a user most likely meant, so every hint across
//! values, layers and stacks follows the same rule.
//!
//! A candidate is suggested when it is within a small edit distance of the word (a typo: about one edit per
//! three characters, case ignored) or, failing that, when one contains the other (`pub` for `public`).

/// Words longer than this are not compared: the distance is quadratic and such a word is no typo.
const MAX_LEN: usize = 128;

/// The candidate a user most likely meant by `word`, if any is close enough.
///
/// Closest by edit distance first (ties broken alphabetically); otherwise the shortest candidate that
/// starts with, is a prefix of, or contains `word`.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    if word.is_empty() || word.len() > MAX_LEN {
        return None;
    }
    let lower = word.to_lowercase();
    let limit = (word.chars().count() / 3).max(1);
    let candidates: Vec<&'a str> = candidates
        .into_iter()
        .filter(|c| !c.is_empty() && c.len() <= MAX_LEN)
        .collect();
    let typo = candidates
        .iter()
        .map(|c| (edit_distance(&lower, &c.to_lowercase()), *c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c);
    typo.or_else(|| {
        candidates
            .iter()
            .copied()
            .filter(|c| {
                let c = c.to_lowercase();
                c.contains(&lower) || lower.starts_with(&c)
            })
            .min_by_key(|c| (c.len(), *c))
    })
}

/// Edit distance counting insertions, deletions, substitutions and swaps of neighbours as 1 each.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_each_kind_of_edit_once() {
        assert_eq!(edit_distance("", ""), 0);
        assert_eq!(edit_distance("tag", "tag"), 0);
        assert_eq!(edit_distance("tag", "tags"), 1); // insertion
        assert_eq!(edit_distance("tags", "tag"), 1); // deletion
        assert_eq!(edit_distance("tag", "tap"), 1); // substitution
        assert_eq!(edit_distance("tga", "tag"), 1); // swap of neighbours
        assert_eq!(edit_distance("abc", ""), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("ä", "a"), 1, "counts characters, not bytes");
    }

    #[test]
    fn typos_suggest_the_nearest_candidate() {
        let keys = ["tag", "repository", "pullPolicy"];
        assert_eq!(closest("tga", keys), Some("tag"));
        assert_eq!(closest("repostory", keys), Some("repository"));
        assert_eq!(
            closest("pullpolicy", keys),
            Some("pullPolicy"),
            "case is ignored"
        );
        assert_eq!(closest("prd", ["dev", "prod"]), Some("prod"));
        assert_eq!(closest("publik", ["private", "public"]), Some("public"));
    }

    #[test]
    fn ties_break_alphabetically_and_distance_wins_over_containment() {
        assert_eq!(closest("cat", ["cut", "bat"]), Some("bat"));
        // `web` is one edit from `wen`; `wendy` merely contains it
        assert_eq!(closest("wen", ["wendy", "web"]), Some("web"));
    }

    #[test]
    fn a_prefix_or_part_suggests_the_shortest_containing_name() {
        assert_eq!(
            closest("pub", ["private", "public", "publisher"]),
            Some("public")
        );
        assert_eq!(closest("work", ["homework", "dev"]), Some("homework"));
        assert_eq!(closest("publicity", ["public", "dev"]), Some("public"));
    }

    #[test]
    fn unrelated_empty_or_huge_words_suggest_nothing() {
        let keys = ["tag", "repository", "pullPolicy"];
        assert_eq!(closest("xyz", keys), None);
        assert_eq!(closest("", keys), None);
        assert_eq!(closest("anything", std::iter::empty()), None);
        let huge = "t".repeat(MAX_LEN + 1);
        assert_eq!(closest(&huge, ["tag", huge.as_str()]), None);
        assert_eq!(closest("tag", [""]), None);
    }
}
