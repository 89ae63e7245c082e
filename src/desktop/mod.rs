//! Living on the desktop: the tray icon, start at login, one instance per user, notification
//! buttons, the window's remembered size and place, and the files a package installs. Nothing here draws the window or knows egui: each
//! part hands plain values ([`crate::app::Command`]s, [`tray::TrayAction`]s, requests) to
//! whoever wires it in, so each can be tested without a display.

pub mod appearance;
pub mod assets;
pub mod autostart;
pub mod demo;
pub mod file_chooser;
pub mod instance;
pub mod notify_actions;
pub mod tray;
pub mod window_state;
