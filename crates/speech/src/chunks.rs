//! Text cut into the pieces synthesised one at a time.
//!
//! The first piece is what the visitor waits for, so it is small: the first
//! sentence, or, when that sentence is long, its first clause. The rest
//! are whole sentences grouped up to [`REST_CHARS`], each synthesised (a few
//! ms to tens of ms) while the one before plays (seconds), so fewer
//! processes are started without any gap being heard. Cuts are made only
//! where a speaker pauses anyway (after a sentence or clause), since each
//! piece is intoned as ending there.

/// A first sentence longer than this is cut at its first clause that fits.
pub const FIRST_CHARS: usize = 160;
/// The later pieces hold whole sentences up to about this many characters.
pub const REST_CHARS: usize = 400;

/// Ends a sentence when followed by white space (or the end).
const SENTENCE_END: &[char] = &['.', '!', '?', '…', '؟', '।'];
/// Ends a sentence by itself: CJK full-width marks have no space after them.
const SENTENCE_END_CJK: &[char] = &['。', '！', '？'];
/// Ends a clause when followed by white space.
const CLAUSE_END: &[char] = &[',', ';', ':', '،', '؛', '—', '–'];
/// Ends a clause by itself (CJK).
const CLAUSE_END_CJK: &[char] = &['，', '；', '：', '、'];
/// Closing marks that stay with the sentence they close.
const CLOSERS: &[char] = &['"', '\'', '”', '’', '»', ')', ']', '」', '』', '）'];

/// Byte offsets just after each boundary of the given kind in `text`.
fn boundaries(text: &str, ends: &[char], ends_alone: &[char]) -> Vec<usize> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut cuts = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let (_, c) = chars[i];
        let alone = ends_alone.contains(&c);
        let paragraph = c == '\n' && chars.get(i + 1).is_some_and(|&(_, n)| n == '\n' || n == '\r');
        if alone || ends.contains(&c) || paragraph {
            let mut j = i + 1;
            while j < chars.len() && (CLOSERS.contains(&chars[j].1) || ends.contains(&chars[j].1)) {
                j += 1; // "Really?!" and "(see below.)" end after their last mark
            }
            let next = chars.get(j).map(|&(_, n)| n);
            let spaced = next.is_none_or(char::is_whitespace);
            if (alone || paragraph || spaced) && !(c == '.' && continues(&chars, i, j)) {
                cuts.push(chars.get(j).map_or(text.len(), |&(at, _)| at));
            }
            i = j;
        } else {
            i += 1;
        }
    }
    cuts
}

/// Whether the `.` at `i` (marks ending before `j`) is not a sentence's end:
/// the text goes on in lower case ("approx. two", "e.g. this"), or the word
/// before it is a single letter (an initial, "J. Smith").
fn continues(chars: &[(usize, char)], i: usize, j: usize) -> bool {
    let next_word = chars[j..].iter().map(|&(_, c)| c).find(|c| !c.is_whitespace());
    if next_word.is_some_and(char::is_lowercase) {
        return true;
    }
    let before: Vec<char> = chars[..i].iter().rev().map(|&(_, c)| c).take_while(|c| c.is_alphabetic()).collect();
    before.len() == 1 && (i == 1 || !chars[i - 2].1.is_alphanumeric())
}

/// Cuts `text` at the given boundaries into trimmed, non-empty pieces.
fn cut(text: &str, cuts: &[usize]) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut from = 0;
    for &to in cuts.iter().chain(std::iter::once(&text.len())) {
        let piece = text[from..to].trim();
        if !piece.is_empty() {
            pieces.push(piece.to_string());
        }
        from = to;
    }
    pieces
}

/// The sentences of `text`, in order, trimmed.
pub fn sentences(text: &str) -> Vec<String> {
    cut(text, &boundaries(text, SENTENCE_END, SENTENCE_END_CJK))
}

/// The pieces to synthesise, in order: a short first one, then groups of sentences.
pub fn split(text: &str) -> Vec<String> {
    let mut sentences = sentences(text).into_iter();
    let Some(first) = sentences.next() else {
        return Vec::new();
    };
    let mut pieces = Vec::new();
    let mut carry = String::new();
    if first.chars().count() > FIRST_CHARS {
        // Its longest leading run of clauses that still fits (at least the first clause).
        let clauses = cut(&first, &boundaries(&first, CLAUSE_END, CLAUSE_END_CJK));
        let mut head = String::new();
        let mut rest = clauses.into_iter().peekable();
        while let Some(clause) =
            rest.next_if(|c| head.is_empty() || head.chars().count() + 1 + c.chars().count() <= FIRST_CHARS)
        {
            join(&mut head, &clause);
        }
        pieces.push(head);
        for clause in rest {
            join(&mut carry, &clause);
        }
    } else {
        pieces.push(first);
    }
    for sentence in sentences {
        if !carry.is_empty() && carry.chars().count() + 1 + sentence.chars().count() > REST_CHARS {
            pieces.push(std::mem::take(&mut carry));
        }
        join(&mut carry, &sentence);
    }
    if !carry.is_empty() {
        pieces.push(carry);
    }
    pieces
}

/// Appends `piece` to `to`, with a space between (CJK text runs on without one).
fn join(to: &mut String, piece: &str) {
    let cjk = |c: char| matches!(c, '\u{3000}'..='\u{9fff}' | '\u{ff00}'..='\u{ffef}');
    let runs_on = to.is_empty() || to.ends_with(cjk) && piece.starts_with(cjk);
    if !runs_on {
        to.push(' ');
    }
    to.push_str(piece);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_end_at_their_marks_followed_by_space() {
        assert_eq!(
            sentences("Welcome!  Visas are issued here. Is it open? \"Yes.\" Fees: 3.50 per page…"),
            ["Welcome!", "Visas are issued here.", "Is it open?", "\"Yes.\"", "Fees: 3.50 per page…"]
        );
        assert_eq!(sentences("Write to john@example.com. Thanks"), ["Write to john@example.com.", "Thanks"]);
        assert_eq!(sentences("Really?! Yes."), ["Really?!", "Yes."]);
        assert_eq!(sentences("Добро пожаловать. Қош келдіңіз!"), ["Добро пожаловать.", "Қош келдіңіз!"]);
        assert_eq!(sentences("欢迎。签证在这里办理！好"), ["欢迎。", "签证在这里办理！", "好"]);
        assert_eq!(sentences("مرحبا؟ أهلا"), ["مرحبا؟", "أهلا"]);
    }

    #[test]
    fn abbreviations_initials_and_lines_do_not_end_a_sentence_but_paragraphs_do() {
        assert_eq!(sentences("Bring e.g. a photo. Ask J. Smith."), ["Bring e.g. a photo.", "Ask J. Smith."]);
        assert_eq!(sentences("Open approx. two hours."), ["Open approx. two hours."]);
        assert_eq!(sentences("Visas\nBring your passport"), ["Visas\nBring your passport"]);
        assert_eq!(sentences("Visas\n\nBring your passport"), ["Visas", "Bring your passport"]);
        assert!(sentences("  \n ").is_empty());
    }

    #[test]
    fn the_first_piece_is_the_first_sentence_and_the_rest_are_grouped() {
        let s = "Short one. ".repeat(60);
        let pieces = split(&s);
        assert_eq!(pieces[0], "Short one.", "the first sentence alone");
        assert!(pieces[1..].iter().all(|p| p.len() <= REST_CHARS), "later pieces stay under the group size");
        assert!(pieces.len() >= 3, "{} pieces", pieces.len());
        assert_eq!(pieces.join(" "), s.trim(), "nothing lost or reordered");
    }

    #[test]
    fn a_long_first_sentence_is_cut_at_a_clause() {
        let long = format!("{}, then {}. Next.", "word ".repeat(20).trim(), "more ".repeat(40).trim());
        let pieces = split(&long);
        assert_eq!(pieces[0], format!("{},", "word ".repeat(20).trim()));
        assert_eq!(pieces.len(), 2, "the rest of the sentence goes with the next: {pieces:?}");
        assert_eq!(pieces.join(" "), long);
        // No clause to cut at: the sentence stays whole rather than being cut mid-phrase.
        let run_on = "word ".repeat(50);
        assert_eq!(split(&run_on), [run_on.trim()]);
    }

    #[test]
    fn cjk_pieces_join_without_spaces() {
        assert_eq!(split("欢迎。签证在这里办理。好。"), ["欢迎。", "签证在这里办理。好。"]);
    }

    #[test]
    fn empty_text_has_no_pieces() {
        assert!(split("").is_empty());
        assert!(split(" \n\t").is_empty());
    }
}
