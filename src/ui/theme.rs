//! Colours with meaning and the app's look.

use egui::{Color32, FontFamily, FontId, TextStyle};

use crate::posture::PostureState;

pub const GOOD: Color32 = Color32::from_rgb(0x2e, 0x9e, 0x5b);
pub const BAD: Color32 = Color32::from_rgb(0xd6, 0x45, 0x3d);
pub const WARN: Color32 = Color32::from_rgb(0xd9, 0x82, 0x1f);
pub const BACK: Color32 = Color32::from_rgb(0x3b, 0x7d, 0xc4);
pub const MOVING: Color32 = Color32::from_rgb(0x86, 0x5f, 0xc0);
pub const MUTED: Color32 = Color32::from_rgb(0x8a, 0x93, 0x9b);
pub const NO_DATA: Color32 = Color32::from_rgb(0x5f, 0x6b, 0x73);

/// The colours of surfaces and text, which differ between the light and the dark look (the
/// colours with meaning above read on both).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Surfaces {
    pub ink: Color32,
    pub panel: Color32,
    pub card: Color32,
    pub card_line: Color32,
    pub banner_slouch: Color32,
    pub banner_break: Color32,
    pub toast: Color32,
    pub notice: Color32,
}

pub const LIGHT: Surfaces = Surfaces {
    ink: Color32::from_rgb(0x22, 0x2b, 0x33),
    panel: Color32::WHITE,
    card: Color32::from_rgb(0xf6, 0xf7, 0xf9),
    card_line: Color32::from_rgb(0xe1, 0xe4, 0xe8),
    banner_slouch: Color32::from_rgb(0xfd, 0xec, 0xea),
    banner_break: Color32::from_rgb(0xea, 0xf2, 0xfb),
    toast: Color32::from_rgb(0xe7, 0xf5, 0xec),
    notice: Color32::from_rgb(0xfd, 0xf3, 0xe2),
};

pub const DARK: Surfaces = Surfaces {
    ink: Color32::from_rgb(0xe4, 0xe8, 0xec),
    panel: Color32::from_rgb(0x17, 0x1a, 0x1d),
    card: Color32::from_rgb(0x21, 0x25, 0x2a),
    card_line: Color32::from_rgb(0x3a, 0x41, 0x48),
    banner_slouch: Color32::from_rgb(0x4a, 0x23, 0x21),
    banner_break: Color32::from_rgb(0x1c, 0x31, 0x47),
    toast: Color32::from_rgb(0x1b, 0x3a, 0x27),
    notice: Color32::from_rgb(0x46, 0x36, 0x18),
};

/// The surfaces of the look `ui` is drawn in.
pub fn surfaces(ui: &egui::Ui) -> &'static Surfaces {
    if ui.visuals().dark_mode {
        &DARK
    } else {
        &LIGHT
    }
}

/// Text.
pub fn ink(ui: &egui::Ui) -> Color32 {
    surfaces(ui).ink
}
/// The central panel's background.
pub fn panel(ui: &egui::Ui) -> Color32 {
    surfaces(ui).panel
}
/// Bars and cards.
pub fn card(ui: &egui::Ui) -> Color32 {
    surfaces(ui).card
}
pub fn card_line(ui: &egui::Ui) -> Color32 {
    surfaces(ui).card_line
}
pub fn banner_slouch(ui: &egui::Ui) -> Color32 {
    surfaces(ui).banner_slouch
}
pub fn banner_break(ui: &egui::Ui) -> Color32 {
    surfaces(ui).banner_break
}
pub fn toast(ui: &egui::Ui) -> Color32 {
    surfaces(ui).toast
}
pub fn notice(ui: &egui::Ui) -> Color32 {
    surfaces(ui).notice
}

/// The colour of a posture state.
pub fn state_colour(state: PostureState) -> Color32 {
    match state {
        PostureState::Upright => GOOD,
        PostureState::Slouched => BAD,
        PostureState::LeaningBack => BACK,
        PostureState::Moving => MOVING,
        PostureState::Uncalibrated => MUTED,
        PostureState::NoData => NO_DATA,
    }
}

/// The state in words for the big label.
pub fn state_words(state: PostureState) -> &'static str {
    match state {
        PostureState::Upright => "Upright",
        PostureState::Slouched => "Slouched",
        PostureState::LeaningBack => "Leaning back",
        PostureState::Moving => "Moving",
        PostureState::Uncalibrated => "Uncalibrated",
        PostureState::NoData => "No sensor",
    }
}

/// Follows the desktop's light or dark preference: egui's `System` theme, which eframe fills
/// in where the window system reports one; elsewhere (X11, most Wayland compositors) the
/// fallback is what the desktop portal says (see [`set_desktop_preference`]), light until it
/// answers. Calm spacing, slightly larger text, in both looks.
pub fn apply(ctx: &egui::Context) {
    ctx.options_mut(|o| {
        o.theme_preference = egui::ThemePreference::System;
        o.fallback_theme = egui::Theme::Light;
    });
    ctx.all_styles_mut(|style| {
        style.text_styles = [
            (
                TextStyle::Small,
                FontId::new(11.5, FontFamily::Proportional),
            ),
            (TextStyle::Body, FontId::new(14.5, FontFamily::Proportional)),
            (
                TextStyle::Button,
                FontId::new(14.5, FontFamily::Proportional),
            ),
            (
                TextStyle::Heading,
                FontId::new(21.0, FontFamily::Proportional),
            ),
            (
                TextStyle::Monospace,
                FontId::new(13.0, FontFamily::Monospace),
            ),
        ]
        .into();
        style.spacing.item_spacing = egui::vec2(8.0, 7.0);
        style.spacing.button_padding = egui::vec2(10.0, 5.0);
    });
    for (theme, s) in [(egui::Theme::Light, &LIGHT), (egui::Theme::Dark, &DARK)] {
        ctx.style_mut_of(theme, |style| {
            style.visuals.panel_fill = s.panel;
            style.visuals.window_fill = s.panel;
        });
    }
}

/// The desktop's preference as the portal tells it (`None`: no preference): becomes the theme
/// used where the window system reports none.
pub fn set_desktop_preference(ctx: &egui::Context, dark: Option<bool>) {
    let fallback = if dark == Some(true) {
        egui::Theme::Dark
    } else {
        egui::Theme::Light
    };
    ctx.options_mut(|o| o.fallback_theme = fallback);
    ctx.request_repaint();
}

// The history views use the Okabe–Ito palette (Okabe & Ito 2008), chosen to stay distinct with
// every common colour-vision deficiency; the state band and the bars also carry their values in
// hover text and labels, so colour is never the only cue.

/// Upright (Okabe–Ito bluish green, #009E73).
pub const OI_GREEN: Color32 = Color32::from_rgb(0x00, 0x9e, 0x73);
/// Slouched (Okabe–Ito vermillion, #D55E00).
pub const OI_VERMILLION: Color32 = Color32::from_rgb(0xd5, 0x5e, 0x00);
/// Leaning back (Okabe–Ito blue, #0072B2).
pub const OI_BLUE: Color32 = Color32::from_rgb(0x00, 0x72, 0xb2);
/// Moving (Okabe–Ito orange, #E69F00).
pub const OI_ORANGE: Color32 = Color32::from_rgb(0xe6, 0x9f, 0x00);
/// Slouch alert markers (Okabe–Ito reddish purple, #CC79A7).
pub const OI_PURPLE: Color32 = Color32::from_rgb(0xcc, 0x79, 0xa7);
/// Break reminder markers (Okabe–Ito sky blue, #56B4E9).
pub const OI_SKY: Color32 = Color32::from_rgb(0x56, 0xb4, 0xe9);
/// The middle of the heat map's ramp (Okabe–Ito yellow, lightened: #F7EFA6).
pub const OI_PALE_YELLOW: Color32 = Color32::from_rgb(0xf7, 0xef, 0xa6);
/// Uncalibrated time in the history (neutral grey, #999999).
pub const OI_GREY: Color32 = Color32::from_rgb(0x99, 0x99, 0x99);
/// Breaks taken (near black, so they read on every band colour).
pub const OI_BLACK: Color32 = Color32::from_rgb(0x11, 0x11, 0x11);

#[cfg(test)]
mod tests {
    use super::*;

    /// With no word from the window system, the portal's answer decides; "no preference" is
    /// light, as spinewatch always was.
    #[test]
    fn the_desktop_preference_picks_the_look() {
        let ctx = egui::Context::default();
        apply(&ctx);
        assert_eq!(ctx.theme(), egui::Theme::Light);
        set_desktop_preference(&ctx, Some(true));
        assert_eq!(ctx.theme(), egui::Theme::Dark);
        assert_eq!(ctx.style_of(ctx.theme()).visuals.panel_fill, DARK.panel);
        set_desktop_preference(&ctx, None);
        assert_eq!(ctx.theme(), egui::Theme::Light);
        assert_eq!(ctx.style_of(ctx.theme()).visuals.panel_fill, LIGHT.panel);
        assert_ne!(LIGHT, DARK);
    }
}
