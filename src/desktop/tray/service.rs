//! The tray icon on the session bus, with `ksni` (pure-Rust StatusNotifierItem + dbusmenu).
//!
//! ksni's blocking API runs the D-Bus service on its own executor thread; this module only
//! renders a [`TrayModel`] into ksni's types, hands menu choices to a callback, and keeps track of
//! whether a tray host (a `org.kde.StatusNotifierWatcher`) is there to show the icon, since only
//! then may closing the window hide it instead of quitting.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use ksni::blocking::{Handle, TrayMethods};
use ksni::menu::{CheckmarkItem, StandardItem};
use ksni::{MenuItem, OfflineReason, ToolTip};

use super::model::{TrayAction, TrayMenuItem, TrayModel, TrayStatus};
use super::pixmap;

/// Called with each menu choice, on ksni's D-Bus thread: keep it short (send on a channel and
/// wake the window).
pub type ActionCallback = dyn Fn(TrayAction) + Send + Sync;

/// The tray could not be put on the session bus (no bus, or the bus refused).
#[derive(Debug, thiserror::Error)]
pub enum TrayError {
    #[error("no tray icon: {source}")]
    Bus {
        #[source]
        source: ksni::Error,
    },
}

/// What ksni serves: the current model plus where choices go.
struct SniTray {
    model: TrayModel,
    on_action: Arc<ActionCallback>,
    host: Arc<AtomicBool>,
}

impl ksni::Tray for SniTray {
    fn id(&self) -> String {
        "spinewatch".into()
    }

    fn title(&self) -> String {
        format!("spinewatch: {}", self.model.icon.label())
    }

    /// A left click shows or hides the window; the menu is on the right click.
    fn activate(&mut self, _x: i32, _y: i32) {
        (self.on_action)(TrayAction::ToggleWindow);
    }

    /// Pixmaps only, no theme icon name: the state is the point of the icon, and a theme has no
    /// "slouched" icon.
    fn icon_pixmap(&self) -> Vec<ksni::Icon> {
        pixmap::pixmaps(self.model.icon)
            .iter()
            .map(|p| ksni::Icon {
                width: i32::try_from(p.width).unwrap_or(0),
                height: i32::try_from(p.height).unwrap_or(0),
                data: p.argb.clone(),
            })
            .collect()
    }

    fn tool_tip(&self) -> ToolTip {
        ToolTip {
            title: "spinewatch".into(),
            description: self.model.tooltip.clone(),
            ..ToolTip::default()
        }
    }

    fn menu(&self) -> Vec<MenuItem<Self>> {
        self.model.menu.iter().map(ksni_item).collect()
    }

    fn watcher_online(&self) {
        tracing::info!("tray host appeared");
        self.host.store(true, Ordering::Relaxed);
    }

    /// Keeps the service running: a panel restarting, or starting after us at login, brings the
    /// watcher back and ksni registers again ([`Self::watcher_online`]).
    fn watcher_offline(&self, reason: OfflineReason) -> bool {
        tracing::info!("no tray host: {reason:?}");
        self.host.store(false, Ordering::Relaxed);
        true
    }
}

fn ksni_item(item: &TrayMenuItem) -> MenuItem<SniTray> {
    let run = |action: &TrayAction| {
        let action = action.clone();
        Box::new(move |tray: &mut SniTray| (tray.on_action)(action.clone()))
    };
    match item {
        TrayMenuItem::Item { label, action } => StandardItem {
            label: label.clone(),
            activate: run(action),
            ..StandardItem::default()
        }
        .into(),
        TrayMenuItem::Check {
            label,
            checked,
            action,
        } => CheckmarkItem {
            label: label.clone(),
            checked: *checked,
            activate: run(action),
            ..CheckmarkItem::default()
        }
        .into(),
        TrayMenuItem::Separator => MenuItem::Separator,
    }
}

/// The running tray icon. Dropping it removes the icon.
pub struct TrayService {
    handle: Handle<SniTray>,
    host: Arc<AtomicBool>,
    shown: TrayModel,
}

impl TrayService {
    /// Puts the icon on the session bus showing `status`; `on_action` gets every menu choice and
    /// left click. Blocks for a few D-Bus round trips (milliseconds on a desktop).
    ///
    /// Succeeds without a tray host (the panel may start after us at login): the icon appears
    /// when one does, and [`Self::host_present`] says which. Fails only without a usable
    /// session bus.
    pub fn start(
        status: &TrayStatus,
        on_action: impl Fn(TrayAction) + Send + Sync + 'static,
    ) -> Result<Self, TrayError> {
        let host = Arc::new(AtomicBool::new(true));
        let model = TrayModel::new(status);
        let tray = SniTray {
            model: model.clone(),
            on_action: Arc::new(on_action),
            host: Arc::clone(&host),
        };
        let handle = tray
            .assume_sni_available(true)
            .spawn()
            .map_err(|source| TrayError::Bus { source })?;
        Ok(Self {
            handle,
            host,
            shown: model,
        })
    }

    /// Shows a new status. Does nothing on the bus when nothing visible changed, so it can be
    /// called with every engine snapshot.
    pub fn set_status(&mut self, status: &TrayStatus) {
        let model = TrayModel::new(status);
        if model == self.shown {
            return;
        }
        self.shown = model.clone();
        if self.handle.update(move |tray| tray.model = model).is_none() {
            tracing::warn!("tray service has stopped; status not shown");
        }
    }

    /// Whether a tray host is showing the icon now. Only then should closing the window hide it
    /// to the tray; without one the window would be unreachable. Changes when a panel starts or
    /// stops, so ask at the moment it matters (on a close request).
    pub fn host_present(&self) -> bool {
        self.host.load(Ordering::Relaxed) && !self.handle.is_closed()
    }

    /// What the icon shows now.
    pub fn model(&self) -> &TrayModel {
        &self.shown
    }
}

impl Drop for TrayService {
    fn drop(&mut self) {
        self.handle.shutdown().wait();
    }
}
