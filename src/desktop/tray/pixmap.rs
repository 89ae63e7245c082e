//! The tray's state icons as StatusNotifierItem pixmaps (ARGB32, network byte order), decoded
//! once from the PNGs embedded by [`crate::desktop::assets`].

use std::sync::OnceLock;

use super::model::TrayIcon;
use crate::desktop::assets::{
    self, AssetError, RgbaImage, TRAY_NO_SENSOR_PNGS, TRAY_SLOUCHED_PNGS, TRAY_SNOOZED_PNGS,
    TRAY_UPRIGHT_PNGS, TrayIconPngs,
};

/// One icon size of one state: `width × height` pixels, ARGB32 bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pixmap {
    pub width: u32,
    pub height: u32,
    pub argb: Vec<u8>,
}

fn pngs(icon: TrayIcon) -> &'static TrayIconPngs {
    match icon {
        TrayIcon::Upright => &TRAY_UPRIGHT_PNGS,
        TrayIcon::Slouched => &TRAY_SLOUCHED_PNGS,
        TrayIcon::NoSensor => &TRAY_NO_SENSOR_PNGS,
        TrayIcon::Snoozed => &TRAY_SNOOZED_PNGS,
    }
}

/// Decodes every size of one state's icon (smallest first).
pub fn decode(icon: TrayIcon) -> Result<Vec<RgbaImage>, AssetError> {
    pngs(icon)
        .iter()
        .map(|(_, b)| assets::decode_png(b))
        .collect()
}

/// Every size of the state's icon, smallest first; the host picks the one that fits its panel.
/// Decoded on first use and kept. Empty only if an embedded PNG is broken (the tests decode
/// them all), in which case the host shows its placeholder and a warning is logged once.
pub fn pixmaps(icon: TrayIcon) -> &'static [Pixmap] {
    static CACHE: [OnceLock<Vec<Pixmap>>; 4] = [const { OnceLock::new() }; 4];
    let slot = match icon {
        TrayIcon::Upright => 0,
        TrayIcon::Slouched => 1,
        TrayIcon::NoSensor => 2,
        TrayIcon::Snoozed => 3,
    };
    CACHE[slot].get_or_init(|| match decode(icon) {
        Ok(images) => images
            .iter()
            .map(|img| Pixmap {
                width: img.width,
                height: img.height,
                argb: img.to_argb32(),
            })
            .collect(),
        Err(e) => {
            tracing::warn!("tray icon {icon:?} not decoded: {e}");
            Vec::new()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [TrayIcon; 4] = [
        TrayIcon::Upright,
        TrayIcon::Slouched,
        TrayIcon::NoSensor,
        TrayIcon::Snoozed,
    ];

    #[test]
    fn every_state_has_every_size_square_and_complete() {
        for icon in ALL {
            let maps = pixmaps(icon);
            let sizes: Vec<u32> = maps.iter().map(|m| m.width).collect();
            assert_eq!(sizes, [16, 22, 24, 32, 48], "{icon:?}");
            for m in maps {
                assert_eq!(m.width, m.height, "{icon:?}");
                assert_eq!(m.argb.len(), (m.width * m.height * 4) as usize, "{icon:?}");
            }
        }
    }

    /// The background just inside the rounded corner is the state's colour, opaque; the corner
    /// itself is transparent (the icon is a rounded square on any panel colour).
    #[test]
    fn each_icon_is_drawn_in_its_state_colour() {
        for icon in ALL {
            for img in decode(icon).unwrap_or_else(|e| panic!("{e}")) {
                let inset = img.width / 10 + 1;
                let [r, g, b, a] = img
                    .pixel(inset, img.height / 2)
                    .unwrap_or_else(|| panic!("{icon:?}: no pixel"));
                let [er, eg, eb] = icon.rgb();
                let close = |x: u8, y: u8| x.abs_diff(y) <= 4;
                assert!(
                    a == 255 && close(r, er) && close(g, eg) && close(b, eb),
                    "{icon:?} at {} px: {r},{g},{b},{a}",
                    img.width
                );
                assert_eq!(img.pixel(0, 0).map(|p| p[3]), Some(0), "{icon:?}");
            }
        }
    }

    #[test]
    fn argb_puts_alpha_first() {
        let img = RgbaImage {
            width: 1,
            height: 1,
            rgba: vec![1, 2, 3, 4],
        };
        assert_eq!(img.to_argb32(), [4, 1, 2, 3]);
    }
}
