//! What staff change at the screen — the volume ceiling and quiet mode —
//! kept in `<data_dir>/staff-settings.json`, so it outlives a restart and
//! takes precedence over the config's starting values.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Staff's audio settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct AudioSettings {
    /// The loudest the music may go, 0–1.
    pub volume_ceiling: f32,
    /// All music muted.
    pub quiet: bool,
}

/// The settings file.
pub struct SettingsFile {
    path: PathBuf,
}

impl SettingsFile {
    /// The file in `data_dir`.
    pub fn new(data_dir: &Path) -> SettingsFile {
        SettingsFile { path: data_dir.join("staff-settings.json") }
    }

    /// Staff's settings, or `config`'s when staff never changed them (or the file is unreadable).
    pub fn load_or(&self, config: AudioSettings) -> AudioSettings {
        self.load().ok().flatten().unwrap_or(config)
    }

    /// Staff's settings: `Ok(None)` when staff never changed them, `Err` (why,
    /// naming the file) when the file is there but damaged — the caller falls
    /// back to the config's and tells staff.
    pub fn load(&self) -> Result<Option<AudioSettings>, String> {
        let bytes = match kiosk_health::datafile::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("{}: {e}", self.path.display())),
        };
        serde_json::from_slice::<AudioSettings>(&bytes)
            .map_err(|e| e.to_string())
            .and_then(|s| {
                if (0.0..=1.0).contains(&s.volume_ceiling) {
                    Ok(Some(s))
                } else {
                    Err(format!("volume_ceiling {} is not 0–1", s.volume_ceiling))
                }
            })
            .map_err(|e| format!("{}: not staff's settings ({e})", self.path.display()))
    }

    /// Saves `settings` atomically (a power cut leaves the old or the new file).
    pub fn save(&self, settings: AudioSettings) -> std::io::Result<AudioSettings> {
        let clamped = AudioSettings { volume_ceiling: settings.volume_ceiling.clamp(0.0, 1.0), ..settings };
        let bytes = serde_json::to_vec(&clamped).map_err(std::io::Error::other)?;
        // Fsynced, and the folder too, so the rename itself survives a power cut.
        kiosk_health::datafile::replace(&self.path, &self.path.with_extension("json.tmp"), &bytes, true)?;
        Ok(clamped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fifo_for_the_settings_falls_back_to_the_config_at_once() {
        use crate::pin::tests::{mkfifo, promptly};
        let dir = tempfile::tempdir().unwrap();
        let config = AudioSettings { volume_ceiling: 0.8, quiet: false };
        mkfifo(&dir.path().join("staff-settings.json"));
        mkfifo(&dir.path().join("staff-settings.json.tmp"));
        let d = dir.path().to_path_buf();
        let (loaded, damage) = promptly("loading staff's settings", move || {
            let file = SettingsFile::new(&d);
            (file.load_or(config), file.load())
        });
        assert_eq!(loaded, config, "a FIFO is damage: the config's settings");
        assert!(damage.unwrap_err().contains("staff-settings.json"), "and the damage is named for staff");
        let d = dir.path().to_path_buf();
        let saved = promptly("saving staff's settings", move || {
            SettingsFile::new(&d).save(AudioSettings { volume_ceiling: 0.5, quiet: true })
        });
        assert_eq!(SettingsFile::new(dir.path()).load(), Ok(Some(saved.unwrap())), "saving replaced the FIFOs");
    }

    #[test]
    fn staff_settings_override_the_config_and_survive_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let config = AudioSettings { volume_ceiling: 0.8, quiet: false };
        let file = SettingsFile::new(dir.path());
        assert_eq!(file.load_or(config), config, "nothing saved yet: the config's");
        let saved = file.save(AudioSettings { volume_ceiling: 1.7, quiet: true }).unwrap();
        assert_eq!(saved, AudioSettings { volume_ceiling: 1.0, quiet: true }, "clamped to 0–1");
        assert_eq!(SettingsFile::new(dir.path()).load_or(config), saved);
        std::fs::write(dir.path().join("staff-settings.json"), "{garbage").unwrap();
        assert_eq!(file.load_or(config), config, "an unreadable file falls back to the config");
        assert!(file.load().unwrap_err().contains("staff-settings.json"), "and the damage is named for staff");
        std::fs::remove_file(dir.path().join("staff-settings.json")).unwrap();
        assert_eq!(file.load(), Ok(None), "never saved is not damage");
        std::fs::create_dir(dir.path().join("staff-settings.json")).unwrap();
        assert!(file.load().is_err(), "a folder where the file should be is damage");
        assert_eq!(file.load_or(config), config);
    }
}
