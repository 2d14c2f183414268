//! The shell's set-up, once Tauri's app exists: the window first, then the
//! kiosk's parts (music, speech, attract schedule, signups, staff mode) put together
//! and managed, and only then the threads that read them.

use kiosk_app::Parts;
use kiosk_app::attract_music::AttractMusic;
use kiosk_app::music::Music;
use kiosk_app::speech::Speech;
use kiosk_app::staff::Staff;
use kiosk_attract::driver::driver_with_assist_factor;
use kiosk_staff::settings::AudioSettings;
use tauri::{App, Manager};
use tauri_specta::Event;

use crate::events::Attract;
use crate::managed::Managed;
use crate::startup::Prepared;
use crate::state::{Kiosk, StartMarks};

/// Builds everything; nothing reaches a command before this returns (the
/// page's requests are served by this thread's main loop).
pub fn run(
    app: &mut App,
    prepared: Prepared,
    contract: &tauri_specta::Builder<tauri::Wry>,
    main_ms: i64,
) -> Result<(), Box<dyn std::error::Error>> {
    let Prepared { config, bundle, clock, updates, problems, http } = prepared;
    let now = clock.now();
    let first_screen = kiosk_app::first_screen_json(&bundle, now, config.idle_timeout_secs);
    crate::window::open(app, &config, first_screen)?;
    let window_ms = jiff::Timestamp::now().as_millisecond();
    contract.mount_events(app);

    let settings = bundle.settings();
    let idle_ms = u64::from(config.idle_timeout_secs.unwrap_or(settings.idle_timeout_secs)) * 1000;
    let slide_ms = u64::from(config.attract_slide_secs.unwrap_or(settings.attract_slide_secs)) * 1000;
    let (attract_music, continuous) = (&settings.music, settings.music.continuous);
    let mut policy = AttractMusic::new(attract_music.attract, attract_music.attract_volume);
    let emitter = app.handle().clone();
    let factor = config.accessibility.timeout_factor;
    let slides = kiosk_app::attract_slides(&bundle, now);
    let (attract, task) = driver_with_assist_factor(slides, idle_ms, slide_ms, factor, move |action| {
        let cue = policy.on(&action);
        // The state is managed before set-up ends, long before a slide is due.
        if let Some(kiosk) = emitter.try_state::<Kiosk>() {
            kiosk.follow(cue);
        }
        let _ = Attract(action).emit(&emitter);
    });
    tauri::async_runtime::spawn(task);

    // Staff's last choice at the panel, else the config's.
    let config_audio = AudioSettings { volume_ceiling: config.volume_ceiling, quiet: config.quiet };
    let audio = Staff::audio_settings(&config.data_dir, config_audio, &problems);
    let signups =
        kiosk_app::signups::open_or_recover(&config.data_dir, config.sync.as_ref(), &config.signups, &problems, &http)?;
    let staff = Staff::new(&config, updates.as_ref().map(|w| (w.policy.clone(), w.floor)), problems);
    let music = Music::new(audio.volume_ceiling, audio.quiet);
    let speech = Speech::new(music.clone(), config.accessibility.speech);
    let kiosk = kiosk_app::Kiosk::new(Parts {
        bundle,
        clock,
        idle_timeout_override: config.idle_timeout_secs,
        attract,
        music,
        speech,
        access: config.accessibility,
        signups,
        kiosk_id: config.kiosk_id.clone(),
        staff,
    });
    let managed = Managed::manage(app.handle(), Kiosk::new(kiosk, StartMarks::new(main_ms, window_ms)));
    // Threads that read the state start only now, with the proof that it is there.
    crate::music::watch(managed.clone(), continuous);
    crate::health::spawn(managed.clone(), &config, http);
    crate::recycle::spawn(managed.clone(), &config);
    if let Some(watcher) = updates {
        crate::updates::spawn(watcher, managed.clone());
    }
    managed.kiosk().marks.set_up();
    Ok(())
}
