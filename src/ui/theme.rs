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
pub const INK: Color32 = Color32::from_rgb(0x22, 0x2b, 0x33);
pub const CARD: Color32 = Color32::from_rgb(0xf6, 0xf7, 0xf9);
pub const CARD_LINE: Color32 = Color32::from_rgb(0xe1, 0xe4, 0xe8);
pub const BANNER_SLOUCH: Color32 = Color32::from_rgb(0xfd, 0xec, 0xea);
pub const BANNER_BREAK: Color32 = Color32::from_rgb(0xea, 0xf2, 0xfb);
pub const TOAST: Color32 = Color32::from_rgb(0xe7, 0xf5, 0xec);
pub const NOTICE: Color32 = Color32::from_rgb(0xfd, 0xf3, 0xe2);

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

/// Light theme, calm spacing, slightly larger text.
pub fn apply(ctx: &egui::Context) {
    ctx.set_theme(egui::Theme::Light);
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
        style.visuals.panel_fill = Color32::WHITE;
        style.visuals.window_fill = Color32::WHITE;
    });
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
