//! The tray icon: a StatusNotifierItem over D-Bus (KDE, GNOME with the AppIndicator extension,
//! XFCE, waybar, …). [`model`] says what to show from a [`TrayStatus`] (pure, tested without a
//! bus); [`pixmap`] turns the embedded PNGs into the ARGB32 icons the protocol carries;
//! [`service`] publishes them with `ksni` and reports menu choices as [`TrayAction`]s.

pub mod model;
pub mod pixmap;
pub mod service;

pub use model::{TrayAction, TrayIcon, TrayMenuItem, TrayModel, TrayStatus};
pub use service::{TrayError, TrayService};
