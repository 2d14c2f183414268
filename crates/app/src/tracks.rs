//! Which track comes next: the bundle's order, wrapping round both ways, for
//! the visitor's skip buttons, continuous play and attract mode's music.

/// The track `step` places from `current` in `ids` (negative: backwards),
/// wrapping round; the first track when `current` is `None` or no longer in
/// the list (the content changed under it); `None` when there are no tracks.
pub fn step(ids: &[String], current: Option<&str>, step: isize) -> Option<String> {
    let n = ids.len() as isize;
    let next = match current.and_then(|id| ids.iter().position(|x| x == id)) {
        Some(i) => (i as isize + step).rem_euclid(n.max(1)),
        None => 0,
    };
    ids.get(next as usize).cloned()
}

#[cfg(test)]
mod tests {
    use super::step;

    fn ids() -> Vec<String> {
        ["a", "b", "c"].map(String::from).to_vec()
    }

    #[test]
    fn forward_moves_on_and_wraps_to_the_first_after_the_last() {
        assert_eq!(step(&ids(), Some("a"), 1).as_deref(), Some("b"));
        assert_eq!(step(&ids(), Some("c"), 1).as_deref(), Some("a"));
    }

    #[test]
    fn backward_wraps_from_the_first_to_the_last() {
        assert_eq!(step(&ids(), Some("a"), -1).as_deref(), Some("c"));
        assert_eq!(step(&ids(), Some("b"), -1).as_deref(), Some("a"));
    }

    #[test]
    fn nothing_playing_or_a_track_gone_from_the_content_starts_at_the_first() {
        assert_eq!(step(&ids(), None, 1).as_deref(), Some("a"));
        assert_eq!(step(&ids(), Some("removed"), -1).as_deref(), Some("a"));
    }

    #[test]
    fn no_tracks_no_next() {
        assert_eq!(step(&[], Some("a"), 1), None);
        assert_eq!(step(&[], None, -1), None);
    }

    #[test]
    fn one_track_steps_onto_itself() {
        let one = vec!["only".to_string()];
        assert_eq!(step(&one, Some("only"), 1).as_deref(), Some("only"));
        assert_eq!(step(&one, Some("only"), -1).as_deref(), Some("only"));
    }
}
