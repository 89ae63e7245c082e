//! Files the binary needs at run time, embedded so `cargo run` (or a copied binary) works from any
//! directory: the app icon, the tray's state icons, the desktop entry, the udev rule and the
//! example configuration. The same files are what `cargo deb` installs (see `assets/README.md`).

use std::io::Cursor;

/// The app icon's SVG source (installed as the scalable hicolor icon).
pub const APP_ICON_SVG: &str = include_str!("../../assets/icons/spinewatch.svg");

/// The app icon as PNG at each hicolor size, pixels (width = height), smallest first.
pub const APP_ICON_PNGS: [(u32, &[u8]); 9] = [
    (
        16,
        include_bytes!("../../assets/icons/16x16/spinewatch.png"),
    ),
    (
        22,
        include_bytes!("../../assets/icons/22x22/spinewatch.png"),
    ),
    (
        24,
        include_bytes!("../../assets/icons/24x24/spinewatch.png"),
    ),
    (
        32,
        include_bytes!("../../assets/icons/32x32/spinewatch.png"),
    ),
    (
        48,
        include_bytes!("../../assets/icons/48x48/spinewatch.png"),
    ),
    (
        64,
        include_bytes!("../../assets/icons/64x64/spinewatch.png"),
    ),
    (
        128,
        include_bytes!("../../assets/icons/128x128/spinewatch.png"),
    ),
    (
        256,
        include_bytes!("../../assets/icons/256x256/spinewatch.png"),
    ),
    (
        512,
        include_bytes!("../../assets/icons/512x512/spinewatch.png"),
    ),
];

/// Tray icon PNGs for one state, at each size, pixels, smallest first.
pub type TrayIconPngs = [(u32, &'static [u8]); 5];

/// Upright (Okabe-Ito bluish green, a seated figure with a straight back).
pub const TRAY_UPRIGHT_PNGS: TrayIconPngs = [
    (16, include_bytes!("../../assets/tray/upright-16.png")),
    (22, include_bytes!("../../assets/tray/upright-22.png")),
    (24, include_bytes!("../../assets/tray/upright-24.png")),
    (32, include_bytes!("../../assets/tray/upright-32.png")),
    (48, include_bytes!("../../assets/tray/upright-48.png")),
];

/// Slouched (Okabe-Ito vermillion, the back rounded and the head forward).
pub const TRAY_SLOUCHED_PNGS: TrayIconPngs = [
    (16, include_bytes!("../../assets/tray/slouched-16.png")),
    (22, include_bytes!("../../assets/tray/slouched-22.png")),
    (24, include_bytes!("../../assets/tray/slouched-24.png")),
    (32, include_bytes!("../../assets/tray/slouched-32.png")),
    (48, include_bytes!("../../assets/tray/slouched-48.png")),
];

/// No posture reading: no sensor, a silent one, or not calibrated (grey, struck through).
pub const TRAY_NO_SENSOR_PNGS: TrayIconPngs = [
    (16, include_bytes!("../../assets/tray/no-sensor-16.png")),
    (22, include_bytes!("../../assets/tray/no-sensor-22.png")),
    (24, include_bytes!("../../assets/tray/no-sensor-24.png")),
    (32, include_bytes!("../../assets/tray/no-sensor-32.png")),
    (48, include_bytes!("../../assets/tray/no-sensor-48.png")),
];

/// Alerts snoozed or meeting mode (Okabe-Ito blue, a sleeping "z").
pub const TRAY_SNOOZED_PNGS: TrayIconPngs = [
    (16, include_bytes!("../../assets/tray/snoozed-16.png")),
    (22, include_bytes!("../../assets/tray/snoozed-22.png")),
    (24, include_bytes!("../../assets/tray/snoozed-24.png")),
    (32, include_bytes!("../../assets/tray/snoozed-32.png")),
    (48, include_bytes!("../../assets/tray/snoozed-48.png")),
];

/// The desktop entry installed to `/usr/share/applications/spinewatch.desktop`.
pub const DESKTOP_ENTRY: &str = include_str!("../../assets/spinewatch.desktop");

/// The desktop entry's file name; also the autostart entry's, and the window's app id /
/// WM class should be its stem (`spinewatch`) so the desktop matches the window to the entry.
pub const DESKTOP_FILE_NAME: &str = "spinewatch.desktop";

/// The AppStream component id (the metainfo file is `<id>.metainfo.xml`).
pub const APPSTREAM_ID: &str = "io.github.spinewatch.Spinewatch";

/// The AppStream metadata.
pub const METAINFO: &str =
    include_str!("../../assets/io.github.spinewatch.Spinewatch.metainfo.xml");

/// The udev rule (`/dev/spinewatch` for common USB-serial chips; see `assets/README.md`).
pub const UDEV_RULES: &str = include_str!("../../assets/99-spinewatch.rules");

/// Every posture setting at its default, as `Config::default().to_json()` prints it.
pub const EXAMPLE_CONFIG: &str = include_str!("../../assets/config.json");

/// A decoded image: `width × height` pixels, row-major from the top left, RGBA with straight
/// (not premultiplied) alpha, 8 bits per channel. What a window-icon API wants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RgbaImage {
    pub width: u32,
    pub height: u32,
    pub rgba: Vec<u8>,
}

impl RgbaImage {
    /// The pixel at column `x`, row `y` as `[r, g, b, a]`, or `None` outside the image.
    pub fn pixel(&self, x: u32, y: u32) -> Option<[u8; 4]> {
        if x >= self.width || y >= self.height {
            return None;
        }
        let i = ((y * self.width + x) * 4) as usize;
        let p = self.rgba.get(i..i + 4)?;
        Some([p[0], p[1], p[2], p[3]])
    }

    /// The same pixels as ARGB32 in network byte order (`[a, r, g, b]` per pixel), the layout of
    /// a StatusNotifierItem icon pixmap.
    pub fn to_argb32(&self) -> Vec<u8> {
        let mut out = self.rgba.clone();
        for px in out.chunks_exact_mut(4) {
            px.rotate_right(1);
        }
        out
    }
}

/// An embedded PNG that could not be decoded (a broken asset: caught by the tests).
#[derive(Debug, thiserror::Error)]
pub enum AssetError {
    #[error("icon PNG could not be decoded: {source}")]
    Decode {
        #[source]
        source: png::DecodingError,
    },
    #[error("icon PNG is too large to decode")]
    TooLarge,
    #[error("icon PNG has an unsupported layout ({color:?}, {depth:?})")]
    Layout {
        color: png::ColorType,
        depth: png::BitDepth,
    },
}

/// Decodes a PNG into 8-bit RGBA (palette, grey and 16-bit images are expanded).
pub fn decode_png(bytes: &[u8]) -> Result<RgbaImage, AssetError> {
    let mut decoder = png::Decoder::new(Cursor::new(bytes));
    decoder.set_transformations(
        png::Transformations::normalize_to_color8() | png::Transformations::ALPHA,
    );
    let mut reader = decoder
        .read_info()
        .map_err(|source| AssetError::Decode { source })?;
    let size = reader.output_buffer_size().ok_or(AssetError::TooLarge)?;
    let mut buf = vec![0; size];
    let info = reader
        .next_frame(&mut buf)
        .map_err(|source| AssetError::Decode { source })?;
    buf.truncate(info.buffer_size());
    let rgba = match info.color_type {
        png::ColorType::Rgba => buf,
        png::ColorType::GrayscaleAlpha => buf
            .chunks_exact(2)
            .flat_map(|p| [p[0], p[0], p[0], p[1]])
            .collect(),
        color => {
            return Err(AssetError::Layout {
                color,
                depth: info.bit_depth,
            });
        }
    };
    Ok(RgbaImage {
        width: info.width,
        height: info.height,
        rgba,
    })
}

/// The app icon at the embedded size nearest to `size_px` (at least that big when there is one),
/// for the window icon (e.g. 256) or a notification.
pub fn app_icon(size_px: u32) -> Result<RgbaImage, AssetError> {
    let bytes = APP_ICON_PNGS
        .iter()
        .find(|(n, _)| *n >= size_px)
        .or(APP_ICON_PNGS.last())
        .map_or(&[][..], |(_, b)| *b);
    decode_png(bytes)
}
