//! Runs an [`Attract`] schedule on tokio's clock: sleeps until the next
//! deadline or the next input, applies it, and hands the actions to a sink.
//! Between slides the task sleeps, so an idle kiosk costs next to no CPU.

use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::{Action, Attract, Input, Slide};

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

    /// The content changed: the new slides, in order.
    pub fn content_changed(&self, slides: Vec<Slide>) {
        let _ = self.tx.send(Input::ContentChanged(slides));
    }
}

/// Creates a driver: a handle to feed it and the task to spawn on a tokio
/// runtime (whichever the caller runs). Timings are in ms. The task ends when
/// every handle is dropped.
pub fn driver(
    slides: Vec<Slide>,
    idle_timeout: u64,
    slide_duration: u64,
    mut sink: impl ActionSink,
) -> (AttractHandle, impl Future<Output = ()> + Send + 'static) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let task = async move {
        let start = Instant::now();
        let now_ms = move || start.elapsed().as_millis() as u64;
        let mut attract = Attract::new(slides, idle_timeout, slide_duration, now_ms());
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

    #[tokio::test(start_paused = true)]
    async fn the_driver_wakes_on_schedule_and_on_touch() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let (handle, task) =
            driver(vec![Slide::section("a"), Slide::event("b")], 3_000, 1_000, move |a| log.lock().unwrap().push(a));
        tokio::spawn(task);
        tokio::time::sleep(Duration::from_millis(2_900)).await;
        assert!(seen.lock().unwrap().is_empty(), "nothing before the idle timeout");
        tokio::time::sleep(Duration::from_millis(1_200)).await;
        assert_eq!(
            *seen.lock().unwrap(),
            [
                Action::ResetVisitor,
                Action::ShowSlide { slide: Some(Slide::section("a")) },
                Action::ShowSlide { slide: Some(Slide::event("b")) }
            ]
        );
        handle.touch();
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert_eq!(seen.lock().unwrap().last(), Some(&Action::ShowHome), "a touch leaves attract mode");
    }
}
