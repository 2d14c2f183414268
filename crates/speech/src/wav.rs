//! The WAV that espeak-ng writes, decoded to samples.
//!
//! Decoded here rather than by rodio's decoder because the workspace builds
//! rodio without its WAV support (music is Ogg/FLAC), and because espeak-ng
//! writing to a pipe cannot seek back to fill in the lengths: its RIFF and
//! `data` sizes are placeholders (0x7fffffff). A reader that trusted them
//! would wait for two gigabytes; this one takes the `data` chunk to run to
//! the end of what was written whenever its size says more than is there.

use std::num::NonZero;
use std::time::Duration;

use rodio::buffer::SamplesBuffer;

/// Decoded audio: interleaved samples in −1..1.
#[derive(Debug, Clone, PartialEq)]
pub struct Pcm {
    /// Frames per second (espeak-ng: 22 050).
    pub sample_rate: u32,
    /// Channels (espeak-ng: 1).
    pub channels: u16,
    /// Interleaved samples, −1..1.
    pub samples: Vec<f32>,
}

impl Pcm {
    /// How long it plays.
    pub fn duration(&self) -> Duration {
        let frames = self.samples.len() as u64 / u64::from(self.channels.max(1));
        Duration::from_secs_f64(frames as f64 / f64::from(self.sample_rate.max(1)))
    }

    /// As a rodio source.
    pub fn into_source(self) -> SamplesBuffer {
        let channels = NonZero::new(self.channels).unwrap_or(NonZero::<u16>::MIN);
        let rate = NonZero::new(self.sample_rate).unwrap_or(NonZero::<u32>::MIN);
        SamplesBuffer::new(channels, rate, self.samples.into_iter().map(|s| s as rodio::Sample).collect::<Vec<_>>())
    }
}

/// Size fields a streaming writer leaves in place of the real length.
fn is_placeholder(size: u32) -> bool {
    size == 0x7fff_ffff || size == 0xffff_ffff
}

/// Decodes a 16-bit PCM WAV (RIFF, `WAVE_FORMAT_PCM` or `EXTENSIBLE` with a
/// PCM subformat). A `data` size that is a streaming placeholder or larger
/// than what follows is read as "to the end"; a trailing half frame is dropped.
pub fn decode(bytes: &[u8]) -> Result<Pcm, String> {
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err(format!("not a RIFF/WAVE file ({} bytes)", bytes.len()));
    }
    let mut at = 12;
    let mut format: Option<(u16, u32)> = None;
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        let size = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().expect("4 bytes"));
        let body = at + 8;
        let rest = bytes.len() - body;
        match id {
            b"fmt " => {
                let size = size as usize;
                if size < 16 || size > rest {
                    return Err(format!("a `fmt ` chunk of {size} bytes is malformed"));
                }
                let f = &bytes[body..body + size];
                let word = |i: usize| u16::from_le_bytes([f[i], f[i + 1]]);
                let tag = word(0);
                let channels = word(2);
                let rate = u32::from_le_bytes(f[4..8].try_into().expect("4 bytes"));
                let bits = word(14);
                // WAVE_FORMAT_EXTENSIBLE: the real format is the subformat GUID's first two bytes.
                let tag = if tag == 0xfffe && size >= 26 { word(24) } else { tag };
                if tag != 1 || bits != 16 {
                    return Err(format!("only 16-bit PCM is read (format {tag:#x}, {bits} bits)"));
                }
                if channels == 0 || rate == 0 {
                    return Err(format!("{channels} channels at {rate} Hz"));
                }
                format = Some((channels, rate));
                at = body + size + (size & 1);
            }
            b"data" => {
                let (channels, sample_rate) = format.ok_or("the `data` chunk comes before `fmt `")?;
                let len = if is_placeholder(size) { rest } else { (size as usize).min(rest) };
                let frame = 2 * usize::from(channels);
                let data = &bytes[body..body + len - len % frame];
                let samples =
                    data.chunks_exact(2).map(|b| f32::from(i16::from_le_bytes([b[0], b[1]])) / 32768.0).collect();
                return Ok(Pcm { sample_rate, channels, samples });
            }
            _ => {
                let size = size as usize;
                if size > rest {
                    return Err(format!("a `{}` chunk runs past the end", String::from_utf8_lossy(id)));
                }
                at = body + size + (size & 1);
            }
        }
    }
    Err("no `data` chunk".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A mono 16-bit WAV as espeak-ng writes it, with the given size fields.
    fn wav(riff_size: u32, extra: &[u8], data_size: u32, samples: &[i16]) -> Vec<u8> {
        let mut v = b"RIFF".to_vec();
        v.extend(riff_size.to_le_bytes());
        v.extend(b"WAVEfmt ");
        v.extend(16u32.to_le_bytes());
        v.extend(1u16.to_le_bytes()); // PCM
        v.extend(1u16.to_le_bytes()); // mono
        v.extend(22_050u32.to_le_bytes());
        v.extend((22_050u32 * 2).to_le_bytes());
        v.extend(2u16.to_le_bytes());
        v.extend(16u16.to_le_bytes());
        v.extend(extra);
        v.extend(b"data");
        v.extend(data_size.to_le_bytes());
        for s in samples {
            v.extend(s.to_le_bytes());
        }
        v
    }

    #[test]
    fn the_streaming_placeholder_lengths_read_as_to_the_end() {
        let samples = [0, 16_384, -32_768, 32_767];
        let pcm = decode(&wav(0x7fff_fff0, &[], 0x7fff_ffff, &samples)).unwrap();
        assert_eq!(pcm.sample_rate, 22_050);
        assert_eq!(pcm.channels, 1);
        assert_eq!(pcm.samples, vec![0.0, 0.5, -1.0, 32_767.0 / 32_768.0], "all four samples, scaled to −1..1");
    }

    #[test]
    fn a_finished_file_is_read_to_its_data_size_and_other_chunks_are_skipped() {
        // A LIST chunk of odd length (padded) before `data`, and junk after it.
        let list = [b"LIST".as_slice(), &3u32.to_le_bytes(), b"abc\0"].concat();
        let mut bytes = wav(0, &list, 4, &[100, 200]);
        bytes.extend([9, 9, 9, 9]);
        let pcm = decode(&bytes).unwrap();
        assert_eq!(pcm.samples.len(), 2, "the data size bounds the samples, not the file's end");
        assert!((pcm.samples[1] - 200.0 / 32_768.0).abs() < 1e-9);
    }

    #[test]
    fn a_truncated_stream_keeps_its_whole_frames_and_an_empty_one_is_silence() {
        let mut bytes = wav(0x7fff_ffff, &[], 0x7fff_ffff, &[1, 2, 3]);
        bytes.pop(); // half a sample: the writer was cut off
        assert_eq!(decode(&bytes).unwrap().samples.len(), 2);
        let empty = decode(&wav(0x7fff_ffff, &[], 0x7fff_ffff, &[])).unwrap();
        assert!(empty.samples.is_empty());
        assert_eq!(empty.duration(), Duration::ZERO);
    }

    #[test]
    fn what_is_not_16_bit_pcm_wav_is_refused_with_a_reason() {
        assert!(decode(b"OggS....").unwrap_err().contains("RIFF"));
        let mut float = wav(0, &[], 0, &[]);
        float[20] = 3; // WAVE_FORMAT_IEEE_FLOAT
        assert!(decode(&float).unwrap_err().contains("16-bit PCM"));
        let no_data = wav(0, &[], 0, &[]);
        assert!(decode(&no_data[..no_data.len() - 8]).unwrap_err().contains("no `data`"));
    }

    #[test]
    fn duration_counts_frames() {
        let pcm = Pcm { sample_rate: 22_050, channels: 1, samples: vec![0.0; 22_050] };
        assert_eq!(pcm.duration(), Duration::from_secs(1));
    }
}
