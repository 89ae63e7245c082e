//! The side-view figure: a seated person whose back tilts with the measured flexion.

use egui::{Color32, Pos2, Sense, Shape, Stroke, Ui, Vec2, pos2, vec2};

use super::theme;

/// Draws the figure; `flexion_deg` `None` draws it greyed at upright.
pub fn figure_ui(
    ui: &mut Ui,
    flexion_deg: Option<f64>,
    threshold_deg: Option<f64>,
    colour: Color32,
) {
    let size = vec2(200.0, 220.0);
    let (response, painter) = ui.allocate_painter(size, Sense::hover());
    response.widget_info(|| {
        egui::WidgetInfo::labeled(
            egui::Role::Image,
            true,
            match flexion_deg {
                Some(f) => format!("Figure leaning {f:.0} degrees"),
                None => "Figure (no angle)".into(),
            },
        )
    });
    let r = response.rect;
    let floor_y = r.bottom() - 12.0;
    let hip = pos2(r.left() + 78.0, floor_y - 64.0);
    let line =
        |a: Pos2, b: Pos2, w: f32, c: Color32| Shape::line_segment([a, b], Stroke::new(w, c));
    let chair = Color32::from_rgb(0xc9, 0xcf, 0xd6);

    // Floor, chair seat, leg and backrest.
    painter.add(line(
        pos2(r.left() + 8.0, floor_y),
        pos2(r.right() - 8.0, floor_y),
        2.0,
        theme::card_line(ui),
    ));
    painter.add(line(
        hip + vec2(-28.0, 8.0),
        hip + vec2(48.0, 8.0),
        6.0,
        chair,
    ));
    painter.add(line(
        hip + vec2(10.0, 8.0),
        pos2(hip.x + 10.0, floor_y),
        4.0,
        chair,
    ));
    painter.add(line(
        hip + vec2(-30.0, 6.0),
        hip + vec2(-34.0, -80.0),
        6.0,
        chair,
    ));

    // Zone guides: upright and the slouch threshold.
    let dir = |deg: f64| {
        let a = deg.to_radians() as f32;
        Vec2::new(a.sin(), -a.cos())
    };
    let guide = |deg: f64, c: Color32| {
        Shape::dashed_line(
            &[hip, hip + dir(deg) * 128.0],
            Stroke::new(1.0, c),
            4.0,
            4.0,
        )
    };
    painter.extend(guide(0.0, theme::card_line(ui)));
    if let Some(t) = threshold_deg {
        painter.extend(guide(t, theme::BAD.gamma_multiply(0.5)));
    }

    // Legs.
    let knee = hip + vec2(58.0, 0.0);
    let ankle = pos2(knee.x + 4.0, floor_y - 2.0);
    let body = Color32::from_rgb(0x4a, 0x55, 0x60);
    painter.add(line(hip, knee, 11.0, body));
    painter.add(line(knee, ankle, 9.0, body));
    painter.add(line(ankle, ankle + vec2(14.0, 0.0), 6.0, body));

    // Trunk, tilted; neck and head continue it with a little forward head posture.
    let f = flexion_deg.unwrap_or(0.0).clamp(-35.0, 90.0);
    let shoulder = hip + dir(f) * 84.0;
    let neck_dir = dir(f + 0.25 * f.max(0.0));
    let head = shoulder + neck_dir * 26.0;
    painter.add(line(hip, shoulder, 14.0, colour));
    painter.add(line(shoulder, shoulder + neck_dir * 14.0, 6.0, colour));
    painter.add(Shape::circle_filled(head, 13.0, colour));
    // Arm towards the desk.
    let elbow = shoulder + vec2(8.0, 36.0);
    painter.add(line(shoulder, elbow, 7.0, colour.gamma_multiply(0.8)));
    painter.add(line(
        elbow,
        elbow + vec2(32.0, -4.0),
        6.0,
        colour.gamma_multiply(0.8),
    ));
    painter.add(Shape::circle_filled(hip, 7.0, colour));
}
