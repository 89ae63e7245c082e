//! The desktop's light or dark preference, read from the XDG desktop portal
//! (`org.freedesktop.portal.Settings`, key `org.freedesktop.appearance` / `color-scheme`: GNOME,
//! KDE and others answer it). Why the portal: on Linux the window system does not tell a window
//! the desktop's preference (winit reports no theme under X11, and under Wayland only the one
//! its own decorations use), so egui's "follow the system" needs to be told.
//!
//! [`watch`] reads the preference once and then follows the portal's `SettingChanged` signal on
//! a thread of its own, handing each value to a callback. Without a portal the window stays
//! light.

use futures_lite::StreamExt;
use zbus::zvariant::{OwnedValue, Value};

const DESTINATION: &str = "org.freedesktop.portal.Desktop";
const PATH: &str = "/org/freedesktop/portal/desktop";
const INTERFACE: &str = "org.freedesktop.portal.Settings";
const NAMESPACE: &str = "org.freedesktop.appearance";
const KEY: &str = "color-scheme";

/// What the desktop prefers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorScheme {
    NoPreference,
    PreferDark,
    PreferLight,
}

impl ColorScheme {
    /// The portal's number (0 no preference, 1 prefer dark, 2 prefer light; anything else is
    /// read as no preference, as the portal specification asks).
    pub fn from_portal(value: u32) -> Self {
        match value {
            1 => Self::PreferDark,
            2 => Self::PreferLight,
            _ => Self::NoPreference,
        }
    }

    /// `Some(true)` for dark, `Some(false)` for light, `None` when the desktop does not say.
    pub fn dark(self) -> Option<bool> {
        match self {
            Self::PreferDark => Some(true),
            Self::PreferLight => Some(false),
            Self::NoPreference => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppearanceError {
    #[error("no desktop portal to ask for the light or dark preference: {0}")]
    Portal(#[from] zbus::Error),
    #[error("the desktop portal answered the colour scheme with {0}")]
    Odd(String),
    #[error("could not start the appearance thread: {0}")]
    Thread(std::io::Error),
}

/// The number in a portal answer: `ReadOne` gives the value in a variant, the older `Read` a
/// variant in a variant.
fn scheme_of(value: &Value<'_>) -> Option<ColorScheme> {
    match value {
        Value::U32(v) => Some(ColorScheme::from_portal(*v)),
        Value::Value(inner) => scheme_of(inner),
        _ => None,
    }
}

async fn proxy(conn: &zbus::Connection) -> zbus::Result<zbus::Proxy<'static>> {
    zbus::Proxy::new(conn, DESTINATION, PATH, INTERFACE).await
}

/// Asks the portal once.
async fn read(proxy: &zbus::Proxy<'_>) -> Result<ColorScheme, AppearanceError> {
    let answer: OwnedValue = match proxy.call("ReadOne", &(NAMESPACE, KEY)).await {
        Ok(v) => v,
        // Portals before version 2 only have `Read`.
        Err(_) => proxy.call("Read", &(NAMESPACE, KEY)).await?,
    };
    scheme_of(&answer).ok_or_else(|| AppearanceError::Odd(format!("{answer:?}")))
}

/// Follows the preference on the "appearance" thread: `on_change` gets the first answer and
/// then every change while the session lasts. Returns at once (the window does not wait for
/// the portal; it starts light and turns dark when told). Without a portal the thread says
/// so in the log and ends.
pub fn watch(on_change: impl Fn(ColorScheme) + Send + 'static) -> Result<(), AppearanceError> {
    std::thread::Builder::new()
        .name("appearance".into())
        .spawn(move || {
            if let Err(e) = async_io::block_on(follow(&on_change)) {
                tracing::info!("{e}; the window stays light");
            }
        })
        .map(drop)
        .map_err(AppearanceError::Thread)
}

/// Reads the preference, then each change until the bus goes away.
async fn follow(on_change: &(impl Fn(ColorScheme) + Send)) -> Result<(), AppearanceError> {
    let conn = zbus::Connection::session().await?;
    let proxy = proxy(&conn).await?;
    // Subscribed first, so a change right after the read is not missed.
    let mut changes = proxy.receive_signal("SettingChanged").await?;
    on_change(read(&proxy).await?);
    while let Some(msg) = changes.next().await {
        let Ok((ns, key, value)) = msg.body().deserialize::<(String, String, OwnedValue)>() else {
            continue;
        };
        if ns == NAMESPACE
            && key == KEY
            && let Some(s) = scheme_of(&value)
        {
            on_change(s);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn portal_numbers_map_to_schemes_and_unknown_ones_to_no_preference() {
        assert_eq!(ColorScheme::from_portal(0), ColorScheme::NoPreference);
        assert_eq!(ColorScheme::from_portal(1).dark(), Some(true));
        assert_eq!(ColorScheme::from_portal(2).dark(), Some(false));
        assert_eq!(ColorScheme::from_portal(7).dark(), None);
    }

    #[test]
    fn read_one_and_the_older_nested_read_both_parse() {
        assert_eq!(scheme_of(&Value::U32(1)), Some(ColorScheme::PreferDark));
        let nested = Value::Value(Box::new(Value::Value(Box::new(Value::U32(2)))));
        assert_eq!(scheme_of(&nested), Some(ColorScheme::PreferLight));
        assert_eq!(scheme_of(&Value::from("dark")), None);
    }
}
