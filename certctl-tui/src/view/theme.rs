//! Styles. With colour off (`NO_COLOR`) every style is a modifier (bold, reversed, dim) or
//! nothing, so the screen reads the same in monochrome.

use ratatui::style::{Color, Modifier, Style};

/// The palette in force.
#[derive(Debug, Clone, Copy)]
pub struct Theme {
    color: bool,
}

impl Theme {
    pub fn new(color: bool) -> Self {
        Theme { color }
    }

    fn fg(&self, c: Color) -> Style {
        if self.color { Style::default().fg(c) } else { Style::default() }
    }

    pub fn bad(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    pub fn warn(&self) -> Style {
        self.fg(Color::Yellow)
    }

    pub fn good(&self) -> Style {
        self.fg(Color::Green)
    }

    pub fn dim(&self) -> Style {
        if self.color { Style::default().fg(Color::DarkGray) } else { Style::default() }
    }

    pub fn title(&self) -> Style {
        Style::default().add_modifier(Modifier::BOLD)
    }

    pub fn header(&self) -> Style {
        Style::default().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
    }

    pub fn selected(&self) -> Style {
        Style::default().add_modifier(Modifier::REVERSED)
    }

    /// Days left: red under 7 days (or expired), yellow under 30, green otherwise.
    pub fn days(&self, days: Option<i64>) -> Style {
        match days {
            Some(d) if d < 7 => self.bad(),
            Some(d) if d < 30 => self.warn(),
            Some(_) => self.good(),
            None => Style::default(),
        }
    }

    /// A status word: failures red, warnings yellow, healthy green.
    pub fn status(&self, s: &str) -> Style {
        match s {
            "Failed" | "Expired" | "Revoked" | "Offline" | "Error" | "Critical" => self.bad(),
            "Expiring" | "Degraded" | "RenewalInProgress" | "Pending" | "AwaitingCSR"
            | "Running" | "Warning" => self.warn(),
            "Active" | "Online" | "Completed" => self.good(),
            _ => Style::default(),
        }
    }
}
