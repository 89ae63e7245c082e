//! An optional alert chime, off by default.
//!
//! Why not an audio crate: the usual ones need the ALSA development headers to build, and the app
//! must build on a bare Debian with Rust. The desktop already has a sound player when it has sound
//! at all (PipeWire's `pw-play`, PulseAudio's `paplay`, ALSA's `aplay`), so the chime is a small WAV
//! generated here and handed to whichever of those exists. With none, the setting says so and
//! alerts use the banner, notifications and vibration.

use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// Players tried in order, each taking a WAV file as its only argument.
const PLAYERS: [&str; 3] = ["pw-play", "paplay", "aplay"];

/// Sample rate of the chime, Hz.
const RATE_HZ: u32 = 22_050;

/// A soft two-note chime (E5 then A5, 0.18 s each with smooth edges) as a 16-bit mono WAV.
pub fn chime_wav() -> Vec<u8> {
    let note_s = 0.18;
    let per_note = (RATE_HZ as f64 * note_s) as usize;
    let mut pcm: Vec<i16> = Vec::with_capacity(2 * per_note);
    for freq_hz in [659.26, 880.0] {
        for i in 0..per_note {
            let t = i as f64 / RATE_HZ as f64;
            // Raised-cosine envelope: no click at either end.
            let env = 0.5 - 0.5 * (std::f64::consts::TAU * i as f64 / per_note as f64).cos();
            let v = 0.35 * env * (std::f64::consts::TAU * freq_hz * t).sin();
            pcm.push((v * f64::from(i16::MAX)) as i16);
        }
    }
    let data_len = (pcm.len() * 2) as u32;
    let mut wav = Vec::with_capacity(44 + data_len as usize);
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + data_len).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16u32.to_le_bytes()); // fmt chunk size
    wav.extend_from_slice(&1u16.to_le_bytes()); // PCM
    wav.extend_from_slice(&1u16.to_le_bytes()); // mono
    wav.extend_from_slice(&RATE_HZ.to_le_bytes());
    wav.extend_from_slice(&(RATE_HZ * 2).to_le_bytes()); // bytes per second
    wav.extend_from_slice(&2u16.to_le_bytes()); // block align
    wav.extend_from_slice(&16u16.to_le_bytes()); // bits per sample
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&data_len.to_le_bytes());
    for s in pcm {
        wav.extend_from_slice(&s.to_le_bytes());
    }
    wav
}

/// The first sound player found on `PATH`, looked up once.
pub fn player() -> Option<&'static Path> {
    static PLAYER: OnceLock<Option<PathBuf>> = OnceLock::new();
    PLAYER
        .get_or_init(|| {
            let path = std::env::var_os("PATH")?;
            PLAYERS.iter().find_map(|name| {
                std::env::split_paths(&path)
                    .map(|dir| dir.join(name))
                    .find(|p| p.is_file())
            })
        })
        .as_deref()
}

/// Writes the chime to `dir` (once per process is enough; it is small) and returns its path.
pub fn write_chime(dir: &Path) -> io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join("spinewatch-chime.wav");
    std::fs::write(&path, chime_wav())?;
    Ok(path)
}

/// Plays `wav` with `player` and waits for it (call from a worker thread, never the pipeline
/// thread). Returns whether the player reported success.
pub fn play(player: &Path, wav: &Path) -> io::Result<bool> {
    Command::new(player)
        .arg(wav)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chime_is_a_valid_pcm_wav() {
        let wav = chime_wav();
        assert_eq!(&wav[0..4], b"RIFF");
        assert_eq!(&wav[8..16], b"WAVEfmt ");
        let riff_len = u32::from_le_bytes([wav[4], wav[5], wav[6], wav[7]]) as usize;
        assert_eq!(riff_len + 8, wav.len());
        let data_len = u32::from_le_bytes([wav[40], wav[41], wav[42], wav[43]]) as usize;
        assert_eq!(data_len, wav.len() - 44);
        // 0.36 s of 16-bit mono at 22 050 Hz, starting and ending in silence.
        assert_eq!(data_len, 2 * 2 * (RATE_HZ as f64 * 0.18) as usize);
        assert_eq!(i16::from_le_bytes([wav[44], wav[45]]), 0);
    }

    #[cfg(unix)]
    #[test]
    fn a_player_is_run_with_the_chime_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let marker = dir.path().join("played");
        let fake = dir.path().join("fake-player");
        let script = format!("#!/bin/sh\ncp \"$1\" '{}'\n", marker.display());
        std::fs::write(&fake, script).unwrap_or_else(|e| panic!("{e}"));
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755))
            .unwrap_or_else(|e| panic!("{e}"));
        let wav = write_chime(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        assert!(play(&fake, &wav).unwrap_or(false));
        assert_eq!(std::fs::read(&marker).unwrap_or_default(), chime_wav());
        // A player that is missing is an error, not a panic.
        assert!(play(&dir.path().join("missing"), &wav).is_err());
    }
}
