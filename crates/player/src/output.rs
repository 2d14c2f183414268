//! Where the sound goes.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use rodio::Player;
use rodio::queue::SourcesQueueOutput;

/// Frames per device period: 10 ms at 48 kHz (10.9 ms at 44.1 kHz). The
/// device holds two periods, so a tap is heard within about three periods
/// of the command; measured on a paced device in docs/performance.md.
pub const DEVICE_PERIOD_FRAMES: u32 = 480;

/// Why no sound can be played right now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AudioError {
    /// No output device could be opened.
    #[error("audio unavailable: {0}")]
    Unavailable(String),
}

/// Somewhere to play: hands out a rodio [`Player`] connected to it.
pub trait AudioOutput: Send {
    /// A player connected to the output, opening the output if needed.
    fn connect(&mut self) -> Result<Player, AudioError>;
    /// Whether the output is (still) usable; `false` after the device vanished.
    fn available(&self) -> bool;
}

/// The system's default sound device, opened once and kept open.
pub struct DeviceOutput {
    sink: Option<rodio::MixerDeviceSink>,
    lost: Arc<AtomicBool>,
    /// Underruns reported by the device since the output was made (over reopens).
    underruns: Arc<AtomicU64>,
    buffer_frames: u32,
    /// Whether the small fixed buffer was refused and the device's default taken.
    fell_back: bool,
}

impl DeviceOutput {
    /// An output that opens the default device on first use, with a fixed,
    /// small buffer of `buffer_frames` frames (short command-to-sound latency).
    pub fn new(buffer_frames: u32) -> Self {
        DeviceOutput {
            sink: None,
            lost: Arc::new(AtomicBool::new(false)),
            underruns: Arc::new(AtomicU64::new(0)),
            buffer_frames,
            fell_back: false,
        }
    }

    /// Opens the device now (at start-up, so the first tap plays at once).
    pub fn open(&mut self) -> Result<(), AudioError> {
        if self.sink.is_some() && !self.lost.load(Ordering::SeqCst) {
            return Ok(());
        }
        self.sink = None;
        let lost = Arc::new(AtomicBool::new(false));
        let builder =
            || rodio::DeviceSinkBuilder::from_default_device().map_err(|e| AudioError::Unavailable(e.to_string()));
        let fixed = builder()?
            .with_buffer_size(rodio::cpal::BufferSize::Fixed(self.buffer_frames))
            .with_error_callback(on_error(lost.clone(), self.underruns.clone()))
            .open_stream();
        self.fell_back = fixed.is_err();
        // The device's own buffer if the small one is refused, watched the same way.
        let mut sink = match fixed {
            Ok(sink) => sink,
            Err(_) => builder()?
                .with_error_callback(on_error(lost.clone(), self.underruns.clone()))
                .open_stream()
                .map_err(|e| AudioError::Unavailable(e.to_string()))?,
        };
        sink.log_on_drop(false);
        self.sink = Some(sink);
        self.lost = lost;
        tracing::info!("audio device: {}", self.describe().unwrap_or_default());
        Ok(())
    }
}

/// What a stream does with its errors: one that ends it marks it `lost`
/// (said once: a gone device reports again and again until the stream is
/// dropped); an underrun is counted.
fn on_error(lost: Arc<AtomicBool>, underruns: Arc<AtomicU64>) -> impl FnMut(rodio::cpal::Error) + Send + 'static {
    move |e| {
        if ends_the_stream(&e) {
            if !lost.swap(true, Ordering::SeqCst) {
                tracing::warn!("audio stream ended: {e} ({:?})", e.kind());
            }
        } else if e.kind() == rodio::cpal::ErrorKind::Xrun {
            underruns.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Whether a stream error means the device is gone. An underrun (the
/// machine was busy for a moment) is recovered by cpal itself and a
/// reroute keeps the stream playing: taking either for a lost device
/// reopened it, which cut the sound that was playing (a sentence of speech,
/// a track) and showed "sound not available" for a moment.
fn ends_the_stream(e: &rodio::cpal::Error) -> bool {
    !matches!(e.kind(), rodio::cpal::ErrorKind::Xrun | rodio::cpal::ErrorKind::DeviceChanged)
}

impl DeviceOutput {
    /// How many times the device ran dry since this output was made: each
    /// is a gap the visitor may have heard (the machine too busy to feed it).
    pub fn underruns(&self) -> u64 {
        self.underruns.load(Ordering::Relaxed)
    }

    /// The open device's configuration, for the log: rate, channels, buffer.
    pub fn describe(&self) -> Option<String> {
        let c = self.sink.as_ref()?.config();
        Some(format!(
            "{} Hz, {} channel(s), buffer {:?}{}",
            c.sample_rate(),
            c.channel_count(),
            c.buffer_size(),
            if self.fell_back { " (the fixed buffer was refused; device default)" } else { "" }
        ))
    }
}

impl AudioOutput for DeviceOutput {
    fn connect(&mut self) -> Result<Player, AudioError> {
        self.open()?;
        let sink = self.sink.as_ref().expect("opened above");
        Ok(Player::connect_new(sink.mixer()))
    }

    fn available(&self) -> bool {
        self.sink.is_some() && !self.lost.load(Ordering::SeqCst)
    }
}

/// An output with no device: each player's samples go to a queue the caller
/// reads ([`QueueOutput::take`]), e.g. a test checking what would be heard.
#[derive(Default, Clone)]
pub struct QueueOutput {
    queues: Arc<Mutex<Vec<SourcesQueueOutput>>>,
}

impl QueueOutput {
    /// A new, empty output.
    pub fn new() -> Self {
        Self::default()
    }

    /// The queue of the most recently connected player.
    pub fn take(&self) -> Option<SourcesQueueOutput> {
        self.queues.lock().unwrap_or_else(|p| p.into_inner()).pop()
    }
}

impl AudioOutput for QueueOutput {
    fn connect(&mut self) -> Result<Player, AudioError> {
        let (player, queue) = Player::new();
        self.queues.lock().unwrap_or_else(|p| p.into_inner()).push(queue);
        Ok(player)
    }

    fn available(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use rodio::cpal::ErrorKind;

    use super::ends_the_stream;

    #[test]
    fn an_underrun_or_a_reroute_keeps_the_device_and_anything_else_ends_it() {
        assert!(!ends_the_stream(&ErrorKind::Xrun.into()), "an underrun is recovered where it happens");
        assert!(!ends_the_stream(&ErrorKind::DeviceChanged.into()), "a rerouted stream plays on");
        assert!(ends_the_stream(&ErrorKind::DeviceNotAvailable.into()));
        assert!(ends_the_stream(&ErrorKind::BackendError.into()));
    }
}
