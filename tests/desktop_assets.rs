//! The files in `assets/` agree with the code and with each other: the example configuration is
//! exactly the defaults, every embedded icon decodes at its stated size, and the desktop entry,
//! metainfo and package metadata name the same things.

use std::path::Path;

use spinewatch::desktop::assets::{
    self, APP_ICON_PNGS, APPSTREAM_ID, DESKTOP_ENTRY, DESKTOP_FILE_NAME, EXAMPLE_CONFIG, METAINFO,
    UDEV_RULES,
};
use spinewatch::posture::Config;

fn asset(rel: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets")
        .join(rel)
}

/// `SPINEWATCH_BLESS=1 cargo test --test desktop_assets` rewrites the file after a new setting.
#[test]
fn the_example_config_is_every_default() {
    let defaults = format!("{}\n", Config::default().to_json());
    if std::env::var_os("SPINEWATCH_BLESS").is_some() {
        std::fs::write(asset("config.json"), &defaults).unwrap_or_else(|e| panic!("{e}"));
        return;
    }
    assert_eq!(
        EXAMPLE_CONFIG, defaults,
        "assets/config.json is stale: run SPINEWATCH_BLESS=1 cargo test --test desktop_assets"
    );
    let load = Config::from_json_str(EXAMPLE_CONFIG).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(load.config, Config::default());
    assert!(load.warnings.is_empty(), "{:?}", load.warnings);
}

#[test]
fn every_app_icon_decodes_at_its_size() {
    for (size, bytes) in APP_ICON_PNGS {
        let img = assets::decode_png(bytes).unwrap_or_else(|e| panic!("{size}: {e}"));
        assert_eq!((img.width, img.height), (size, size));
        assert_eq!(img.rgba.len(), (size * size * 4) as usize);
        // Transparent corner, opaque middle: a rounded square, not a full-bleed box.
        assert_eq!(img.pixel(0, 0).map(|p| p[3]), Some(0), "{size}");
        assert_eq!(
            img.pixel(size / 2, size / 2).map(|p| p[3]),
            Some(255),
            "{size}"
        );
    }
    let big = assets::app_icon(200).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(big.width, 256);
    let biggest = assets::app_icon(4000).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(biggest.width, 512);
}

#[test]
fn the_svg_is_the_one_the_pngs_come_from() {
    assert!(assets::APP_ICON_SVG.contains("<svg"));
    assert!(assets::APP_ICON_SVG.contains(r#"viewBox="0 0 256 256""#));
}

#[test]
fn the_desktop_entry_and_metainfo_name_the_same_app() {
    let key = |k: &str| {
        DESKTOP_ENTRY
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{k}=")))
            .unwrap_or_else(|| panic!("no {k}= in the desktop entry"))
    };
    assert_eq!(key("Exec"), "spinewatch");
    assert_eq!(key("Icon"), "spinewatch");
    assert_eq!(key("StartupWMClass"), "spinewatch");
    assert!(key("Categories").ends_with(';'));
    assert!(key("Keywords").contains("posture"));
    assert!(METAINFO.contains(&format!("<id>{APPSTREAM_ID}</id>")));
    assert!(METAINFO.contains(&format!(
        r#"<launchable type="desktop-id">{DESKTOP_FILE_NAME}</launchable>"#
    )));
    assert!(METAINFO.contains("<binary>spinewatch</binary>"));
    assert!(asset(&format!("{APPSTREAM_ID}.metainfo.xml")).is_file());
    assert!(asset(DESKTOP_FILE_NAME).is_file());
}

#[test]
fn the_udev_rule_covers_each_chip_and_mentions_dialout() {
    for (vendor, product) in [
        ("1a86", Some("7523")),
        ("10c4", Some("ea60")),
        ("0403", Some("6001")),
        ("2341", None),
        ("303a", None),
    ] {
        let line = UDEV_RULES
            .lines()
            .find(|l| {
                !l.starts_with('#') && l.contains(&format!(r#"ATTRS{{idVendor}}=="{vendor}""#))
            })
            .unwrap_or_else(|| panic!("no rule for {vendor}"));
        if let Some(product) = product {
            assert!(
                line.contains(&format!(r#"ATTRS{{idProduct}}=="{product}""#)),
                "{line}"
            );
        }
        assert!(line.contains(r#"SYMLINK+="spinewatch""#), "{line}");
    }
    assert!(UDEV_RULES.contains("dialout"));
}

/// The package installs what the assets folder has, where a desktop looks for it.
#[test]
fn the_package_metadata_installs_every_asset() {
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
            .unwrap_or_else(|e| panic!("{e}"));
    let deb = manifest
        .split("[package.metadata.deb]")
        .nth(1)
        .unwrap_or_else(|| panic!("no [package.metadata.deb]"));
    for (size, _) in APP_ICON_PNGS {
        let src = format!("assets/icons/{size}x{size}/spinewatch.png");
        let dest = format!("usr/share/icons/hicolor/{size}x{size}/apps/spinewatch.png");
        assert!(deb.contains(&src) && deb.contains(&dest), "{src} → {dest}");
        assert!(
            Path::new(env!("CARGO_MANIFEST_DIR")).join(&src).is_file(),
            "{src}"
        );
    }
    for dest in [
        "usr/share/icons/hicolor/scalable/apps/spinewatch.svg",
        "usr/share/applications/spinewatch.desktop",
        "usr/share/metainfo/io.github.spinewatch.Spinewatch.metainfo.xml",
        "usr/lib/udev/rules.d/99-spinewatch.rules",
        "usr/bin/",
    ] {
        assert!(deb.contains(dest), "{dest}");
    }
}
