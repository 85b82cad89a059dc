//! Text from users made safe for a terminal: control characters (C0, DEL, C1) and bidirectional
//! overrides are shown as visible symbols instead of reaching the terminal, where an escape
//! sequence could retitle the window, move the cursor or hide what follows, and a newline would
//! break a table.

use std::borrow::Cow;

/// Whether `c` would act on a terminal instead of being printed: C0 controls (`\n`, `\t`, ESC,
/// BEL...), DEL, C1 controls, and the bidirectional embedding, override and isolate marks.
pub fn is_unsafe(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` with every [`is_unsafe`] character replaced by a visible one of width 1: C0 controls by
/// their Control Pictures (`␛` for ESC, `␊` for a newline, `␉` for a tab), DEL by `␡`, the rest
/// by `�`. Borrowed when there is nothing to replace.
pub fn visible(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| match c {
                '\u{0}'..='\u{1f}' => char::from_u32(0x2400 + c as u32).unwrap_or('\u{fffd}'),
                '\u{7f}' => '\u{2421}',
                c if is_unsafe(c) => '\u{fffd}',
                c => c,
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_become_visible_and_plain_text_is_untouched() {
        assert!(matches!(visible("mc-api.example.com ünï"), Cow::Borrowed(_)));
        assert_eq!(visible("\u{1b}]0;pwned\u{7}"), "␛]0;pwned␇");
        assert_eq!(visible("a\nb\tc\r"), "a␊b␉c␍");
        assert_eq!(visible("x\u{7f}\u{9b}31m"), "x␡�31m");
        assert_eq!(visible("evil\u{202e}txt.exe"), "evil�txt.exe");
        assert_eq!(visible("\u{0}"), "␀");
    }
}
