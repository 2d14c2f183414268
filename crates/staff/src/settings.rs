//! What staff change at the screen — the volume ceiling and quiet mode —
//! kept in `<data_dir>/staff-settings.json`, so it outlives a restart and
//! takes precedence over the config's starting values.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Staff's audio settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
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
        std::fs::read(&self.path)
            .ok()
            .and_then(|b| serde_json::from_slice::<AudioSettings>(&b).ok())
            .filter(|s| (0.0..=1.0).contains(&s.volume_ceiling))
            .unwrap_or(config)
    }

    /// Saves `settings` atomically (a power cut leaves the old or the new file).
    pub fn save(&self, settings: AudioSettings) -> std::io::Result<AudioSettings> {
        let clamped = AudioSettings { volume_ceiling: settings.volume_ceiling.clamp(0.0, 1.0), ..settings };
        let tmp = self.path.with_extension("json.tmp");
        let file = std::fs::File::create(&tmp)?;
        serde_json::to_writer(&file, &clamped)?;
        file.sync_all()?;
        std::fs::rename(&tmp, &self.path)?;
        Ok(clamped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
