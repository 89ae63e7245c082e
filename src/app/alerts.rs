//! Alert presentation: what the wearer is shown for each event — the in-app banner, a short
//! confirmation, a desktop notification, a buzz of the sensor, the chime — decided here, purely
//! (the engine carries the decisions out). Replays show banners but never notify, buzz or chime;
//! while a replay is catching up to a seek target, only the plot markers are kept.

use crate::format::human_duration;
use crate::posture::exercises::EXERCISES;
use crate::posture::{Event, EventKind};
use crate::session::vibration::{self, Vibration};

use super::store::{BannerKind, MarkerKind};

/// How long a confirmation shows, session seconds.
pub const TOAST_S: f64 = 6.0;

/// One thing to show or do.
#[derive(Debug, Clone, PartialEq)]
pub enum Presentation {
    /// A marker on the live plot.
    Marker {
        t_s: f64,
        kind: MarkerKind,
    },
    /// The banner shows this (replacing any other).
    Banner {
        t_s: f64,
        kind: BannerKind,
    },
    /// The banner goes away.
    ClearBanner,
    /// A short confirmation until session time `until_s`.
    Toast {
        text: String,
        until_s: f64,
    },
    /// A desktop notification for this alert (its kind decides the buttons it can offer).
    Notify {
        kind: AlertKind,
        title: String,
        body: String,
    },
    Vibrate(Vibration),
    Chime,
}

/// Which alert a notification is for: the notification's buttons depend on it (see
/// `desktop::notify_actions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertKind {
    Slouch,
    BreakReminder,
}

/// What the presentation depends on besides the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlertContext {
    /// A live source (sensor or demo): desktop notifications, vibration and chime are for now,
    /// not for a replay.
    pub live: bool,
    /// A replay is catching up to a seek target: only markers.
    pub seeking: bool,
    pub notifications: bool,
    pub vibration: bool,
    pub sound: bool,
}

/// Remembers whether the wearer has an alert to answer (for the "back upright" confirmation).
#[derive(Debug, Clone, Default)]
pub struct AlertPresenter {
    awaiting_correction: bool,
}

/// Which banner is up, if any.
pub fn banner_class(kind: Option<&BannerKind>) -> Option<&'static str> {
    kind.map(|k| match k {
        BannerKind::Slouch { .. } => "slouch",
        BannerKind::Break { .. } => "break",
    })
}

impl AlertPresenter {
    /// The presentation of one event; `banner` is what the banner shows now.
    pub fn present(
        &mut self,
        e: &Event,
        ctx: &AlertContext,
        banner: Option<&BannerKind>,
    ) -> Vec<Presentation> {
        let mut out = Vec::new();
        match &e.kind {
            EventKind::SlouchAlert {
                held_s,
                flexion_deg,
                ..
            } => {
                out.push(Presentation::Marker {
                    t_s: e.time_s,
                    kind: MarkerKind::SlouchAlert,
                });
                self.awaiting_correction = true;
                if ctx.seeking {
                    return out;
                }
                out.push(Presentation::Banner {
                    t_s: e.time_s,
                    kind: BannerKind::Slouch {
                        held_s: *held_s,
                        flexion_deg: *flexion_deg,
                    },
                });
                if ctx.live {
                    if ctx.notifications {
                        out.push(Presentation::Notify {
                            kind: AlertKind::Slouch,
                            title: "Time to sit up".into(),
                            body: format!(
                                "You have been slouching for {} ({flexion_deg:.0}°). Sit back against the backrest, shoulders back.",
                                human_duration(*held_s)
                            ),
                        });
                    }
                    self.buzz_and_chime(&e.kind, ctx, &mut out);
                }
            }
            EventKind::SlouchEnd { alerts, .. } if *alerts > 0 && self.awaiting_correction => {
                self.awaiting_correction = false;
                if banner_class(banner) == Some("slouch") {
                    out.push(Presentation::ClearBanner);
                }
                if !ctx.seeking {
                    out.push(Presentation::Toast {
                        text: "Nice, you are sitting upright again.".into(),
                        until_s: e.time_s + TOAST_S,
                    });
                }
            }
            EventKind::BreakReminder {
                sitting_s,
                exercise,
                dose,
            } => {
                out.push(Presentation::Marker {
                    t_s: e.time_s,
                    kind: MarkerKind::BreakReminder,
                });
                if ctx.seeking {
                    return out;
                }
                let how = EXERCISES
                    .iter()
                    .find(|x| x.name == exercise)
                    .map(|x| x.how.to_string())
                    .unwrap_or_default();
                if ctx.live {
                    if ctx.notifications {
                        out.push(Presentation::Notify {
                            kind: AlertKind::BreakReminder,
                            title: "Time for a short break".into(),
                            body: format!(
                                "You have been sitting for {}. Try: {exercise} ({dose}).",
                                human_duration(*sitting_s)
                            ),
                        });
                    }
                    self.buzz_and_chime(&e.kind, ctx, &mut out);
                }
                out.push(Presentation::Banner {
                    t_s: e.time_s,
                    kind: BannerKind::Break {
                        exercise: exercise.clone(),
                        dose: dose.clone(),
                        how,
                    },
                });
            }
            EventKind::BreakTaken { .. } if banner_class(banner) == Some("break") => {
                out.push(Presentation::ClearBanner);
                out.push(Presentation::Toast {
                    text: "Break taken: the sitting clock starts again.".into(),
                    until_s: e.time_s + TOAST_S,
                });
            }
            EventKind::Calibrated { .. } => out.push(Presentation::Marker {
                t_s: e.time_s,
                kind: MarkerKind::Calibrated,
            }),
            _ => {}
        }
        out
    }

    fn buzz_and_chime(&self, kind: &EventKind, ctx: &AlertContext, out: &mut Vec<Presentation>) {
        if ctx.vibration
            && let Some(v) = vibration::for_event(kind)
        {
            out.push(Presentation::Vibrate(v));
        }
        if ctx.sound {
            out.push(Presentation::Chime);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIVE: AlertContext = AlertContext {
        live: true,
        seeking: false,
        notifications: true,
        vibration: true,
        sound: false,
    };

    fn alert(t: f64) -> Event {
        Event {
            time_s: t,
            kind: EventKind::SlouchAlert {
                start_s: t - 60.0,
                held_s: 60.0,
                flexion_deg: 32.0,
                repeat: 0,
            },
        }
    }

    fn end(t: f64, alerts: u32) -> Event {
        Event {
            time_s: t,
            kind: EventKind::SlouchEnd {
                start_s: 0.0,
                end_s: t,
                duration_s: t,
                alerts,
            },
        }
    }

    #[test]
    fn a_live_alert_shows_notifies_and_buzzes_then_sitting_up_confirms() {
        let mut p = AlertPresenter::default();
        let shown = p.present(&alert(100.0), &LIVE, None);
        assert!(matches!(shown[0], Presentation::Marker { .. }));
        assert!(matches!(shown[1], Presentation::Banner { .. }));
        assert!(
            matches!(&shown[2], Presentation::Notify { kind: AlertKind::Slouch, title, .. } if title == "Time to sit up")
        );
        assert_eq!(shown[3], Presentation::Vibrate(vibration::SLOUCH_ALERT));
        assert_eq!(shown.len(), 4);
        let banner = BannerKind::Slouch {
            held_s: 60.0,
            flexion_deg: 32.0,
        };
        let after = p.present(&end(130.0, 1), &LIVE, Some(&banner));
        assert_eq!(after[0], Presentation::ClearBanner);
        assert!(matches!(&after[1], Presentation::Toast { until_s, .. } if *until_s == 136.0));
        // Only once per alert.
        assert!(p.present(&end(140.0, 1), &LIVE, None).is_empty());
    }

    #[test]
    fn a_replay_shows_the_banner_only_and_a_seek_only_markers() {
        let mut p = AlertPresenter::default();
        let replay = AlertContext {
            live: false,
            ..LIVE
        };
        let shown = p.present(&alert(100.0), &replay, None);
        assert_eq!(shown.len(), 2, "{shown:?}");
        let seeking = AlertContext {
            seeking: true,
            ..replay
        };
        let shown = p.present(&alert(200.0), &seeking, None);
        assert_eq!(shown.len(), 1);
        assert!(p.present(&end(250.0, 1), &seeking, None).is_empty());
    }

    #[test]
    fn a_break_reminder_suggests_an_exercise_and_a_break_clears_it() {
        let mut p = AlertPresenter::default();
        let exercise = EXERCISES
            .first()
            .map(|x| x.name.to_string())
            .unwrap_or_default();
        let reminder = Event {
            time_s: 2700.0,
            kind: EventKind::BreakReminder {
                sitting_s: 2700.0,
                exercise,
                dose: "10 times".into(),
            },
        };
        let shown = p.present(&reminder, &LIVE, None);
        let banner = shown.iter().find_map(|s| match s {
            Presentation::Banner { kind, .. } => Some(kind.clone()),
            _ => None,
        });
        assert!(matches!(&banner, Some(BannerKind::Break { how, .. }) if !how.is_empty()));
        assert!(shown.contains(&Presentation::Vibrate(vibration::BREAK_REMINDER)));
        let taken = Event {
            time_s: 2900.0,
            kind: EventKind::BreakTaken { start_s: 2780.0 },
        };
        let after = p.present(&taken, &LIVE, banner.as_ref());
        assert_eq!(after[0], Presentation::ClearBanner);
        assert!(p.present(&taken, &LIVE, None).is_empty());
    }
}
