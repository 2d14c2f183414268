//! Runs an [`Attract`] schedule on tokio's clock: sleeps until the next
//! deadline or the next input, applies it, and hands the actions to a sink.
//! Between slides the task sleeps, so an idle kiosk costs next to no CPU;
//! while a visitor is there it wakes twice per idle period at most: for the
//! "more time" prompt, then for the reset.

use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::{Action, Attract, DEFAULT_ASSIST_FACTOR, Input, Slide};

/// Where the driver's actions go (the app emits them to the UI; tests collect them).
pub trait ActionSink: Send + 'static {
    /// Called for each action, in order.
    fn act(&mut self, action: Action);
}

impl<F: FnMut(Action) + Send + 'static> ActionSink for F {
    fn act(&mut self, action: Action) {
        self(action)
    }
}

/// Feeds inputs to a running driver. Cheap to clone.
#[derive(Clone, Debug)]
pub struct AttractHandle {
    tx: mpsc::UnboundedSender<Input>,
}

impl AttractHandle {
    /// A visitor touched the screen.
    pub fn touch(&self) {
        let _ = self.tx.send(Input::Touch);
    }

    /// A visitor turned speech or keypad mode on or off (see [`Input::Assist`]).
    pub fn assist(&self, on: bool) {
        let _ = self.tx.send(Input::Assist(on));
    }

    /// The page was loaded afresh: attract mode shows its slide again.
    pub fn page_loaded(&self) {
        let _ = self.tx.send(Input::PageLoaded);
    }

    /// The content changed: the new slides, in order.
    pub fn content_changed(&self, slides: Vec<Slide>) {
        let _ = self.tx.send(Input::ContentChanged(slides));
    }
}

/// Creates a driver: a handle to feed it and the task to spawn on a tokio
/// runtime (whichever the caller runs). Timings are in ms. The task ends when
/// every handle is dropped. In speech or keypad mode the idle timeout is
/// [`DEFAULT_ASSIST_FACTOR`] times longer; [`driver_with_assist_factor`] sets it.
pub fn driver(
    slides: Vec<Slide>,
    idle_timeout: u64,
    slide_duration: u64,
    sink: impl ActionSink,
) -> (AttractHandle, impl Future<Output = ()> + Send + 'static) {
    driver_with_assist_factor(slides, idle_timeout, slide_duration, DEFAULT_ASSIST_FACTOR, sink)
}

/// [`driver`] with the idle timeout's multiplier in speech or keypad mode
/// (the config's `accessibility.timeout_factor`).
pub fn driver_with_assist_factor(
    slides: Vec<Slide>,
    idle_timeout: u64,
    slide_duration: u64,
    assist_factor: u32,
    mut sink: impl ActionSink,
) -> (AttractHandle, impl Future<Output = ()> + Send + 'static) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let task = async move {
        let start = Instant::now();
        let now_ms = move || start.elapsed().as_millis() as u64;
        let mut attract =
            Attract::new(slides, idle_timeout, slide_duration, now_ms()).with_assist_factor(assist_factor);
        loop {
            let wake = start + std::time::Duration::from_millis(attract.deadline());
            let input = tokio::select! {
                _ = tokio::time::sleep_until(wake) => Input::Tick,
                input = rx.recv() => match input {
                    Some(input) => input,
                    None => return,
                },
            };
            let (next, actions) = attract.next(now_ms(), input);
            attract = next;
            for action in actions {
                sink.act(action);
            }
        }
    };
    (AttractHandle { tx }, task)
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use super::*;

    fn collect() -> (Arc<Mutex<Vec<Action>>>, impl FnMut(Action) + Send + 'static) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        (seen, move |a| log.lock().unwrap().push(a))
    }

    #[tokio::test(start_paused = true)]
    async fn the_driver_wakes_on_schedule_and_on_touch() {
        let (seen, sink) = collect();
        let (handle, task) = driver(vec![Slide::section("a"), Slide::event("b")], 3_000, 1_000, sink);
        tokio::spawn(task);
        tokio::time::sleep(Duration::from_millis(1_900)).await;
        assert!(seen.lock().unwrap().is_empty(), "nothing before the warning");
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(*seen.lock().unwrap(), [Action::AskMoreTime { seconds: 1 }], "asked 1 s before the 3 s timeout");
        tokio::time::sleep(Duration::from_millis(800)).await;
        assert_eq!(seen.lock().unwrap().len(), 1, "no reset while the visitor may still answer");
        tokio::time::sleep(Duration::from_millis(1_200)).await;
        assert_eq!(
            *seen.lock().unwrap(),
            [
                Action::AskMoreTime { seconds: 1 },
                Action::ResetVisitor,
                Action::ShowSlide { slide: Some(Slide::section("a")) },
                Action::ShowSlide { slide: Some(Slide::event("b")) }
            ]
        );
        handle.touch();
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert_eq!(seen.lock().unwrap().last(), Some(&Action::ShowHome), "a touch leaves attract mode");
    }

    #[tokio::test(start_paused = true)]
    async fn a_touch_during_the_warning_gives_a_full_new_timeout_and_assist_multiplies_it() {
        let (seen, sink) = collect();
        let (handle, task) = driver_with_assist_factor(vec![Slide::section("a")], 3_000, 1_000, 3, sink);
        tokio::spawn(task);
        tokio::time::sleep(Duration::from_millis(2_500)).await;
        handle.touch();
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert_eq!(*seen.lock().unwrap(), [Action::AskMoreTime { seconds: 1 }, Action::MoreTime]);
        // Touched at 2.5 s: asked again at 4.5 s, not reset at 3 s.
        tokio::time::sleep(Duration::from_millis(1_980)).await;
        assert_eq!(seen.lock().unwrap().len(), 2, "the timer started over at the touch");
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(seen.lock().unwrap().last(), Some(&Action::AskMoreTime { seconds: 1 }));

        // Assist on at 4.6 s (answers the prompt): ×3 = 9 s, asked 3 s before: at 10.6 s.
        tokio::time::sleep(Duration::from_millis(100)).await;
        handle.assist(true);
        tokio::time::sleep(Duration::from_millis(5_990)).await;
        assert_eq!(seen.lock().unwrap().last(), Some(&Action::MoreTime), "turning assist on answers the prompt");
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(seen.lock().unwrap().last(), Some(&Action::AskMoreTime { seconds: 3 }), "asked at 9 s − 3 s");
        tokio::time::sleep(Duration::from_millis(3_000)).await;
        assert_eq!(
            seen.lock().unwrap()[5..],
            [Action::ResetVisitor, Action::ShowSlide { slide: Some(Slide::section("a")) }],
            "reset at the assisted timeout"
        );
        // The reset ended assist mode: the next visitor is asked after 2 s, not 6 s.
        handle.touch();
        tokio::time::sleep(Duration::from_millis(2_010)).await;
        assert_eq!(seen.lock().unwrap().last(), Some(&Action::AskMoreTime { seconds: 1 }));
    }
}
