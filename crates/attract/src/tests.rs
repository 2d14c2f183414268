//! Table-driven: each case is a script of (time, input) → expected actions.

use super::*;

const IDLE: u64 = 3_000;
const SLIDE: u64 = 1_000;

fn s(id: &str) -> Slide {
    Slide::section(id)
}
fn e(id: &str) -> Slide {
    Slide::event(id)
}
fn show(slide: Slide) -> Action {
    Action::ShowSlide { slide: Some(slide) }
}

struct Case {
    name: &'static str,
    slides: Vec<Slide>,
    steps: Vec<(u64, Input, Vec<Action>)>,
}

fn run(case: Case) {
    let mut a = Attract::new(case.slides, IDLE, SLIDE, 0);
    for (i, (now, input, expected)) in case.steps.into_iter().enumerate() {
        let (next, actions) = a.next(now, input.clone());
        assert_eq!(actions, expected, "case `{}`, step {i} ({input:?} at {now} ms)", case.name);
        a = next;
    }
}

#[test]
fn schedule_table() {
    let three = || vec![s("overview"), s("reform"), e("nauryz")];
    let cases = vec![
        Case {
            name: "nothing happens before the idle timeout",
            slides: three(),
            steps: vec![(2_999, Input::Tick, vec![])],
        },
        Case {
            name: "idle → attract at the timeout: reset the visitor, then the first slide",
            slides: three(),
            steps: vec![(3_000, Input::Tick, vec![Action::ResetVisitor, show(s("overview"))])],
        },
        Case {
            name: "a touch restarts the idle countdown",
            slides: three(),
            steps: vec![
                (2_000, Input::Touch, vec![]),
                (3_500, Input::Tick, vec![]),
                (5_000, Input::Tick, vec![Action::ResetVisitor, show(s("overview"))]),
            ],
        },
        Case {
            name: "slides in order, sections then events, and wrap around",
            slides: three(),
            steps: vec![
                (3_000, Input::Tick, vec![Action::ResetVisitor, show(s("overview"))]),
                (3_999, Input::Tick, vec![]),
                (4_000, Input::Tick, vec![show(s("reform"))]),
                (5_000, Input::Tick, vec![show(e("nauryz"))]),
                (6_000, Input::Tick, vec![show(s("overview"))]),
            ],
        },
        Case {
            name: "a late wake-up skips the slides it missed",
            slides: three(),
            steps: vec![
                (3_000, Input::Tick, vec![Action::ResetVisitor, show(s("overview"))]),
                (5_200, Input::Tick, vec![show(e("nauryz"))]),
                (6_000, Input::Tick, vec![show(s("overview"))]),
            ],
        },
        Case {
            name: "touch in attract → home, and no reset on the way out",
            slides: three(),
            steps: vec![
                (3_000, Input::Tick, vec![Action::ResetVisitor, show(s("overview"))]),
                (3_500, Input::Touch, vec![Action::ShowHome]),
                (4_000, Input::Tick, vec![]),
                (6_500, Input::Tick, vec![Action::ResetVisitor, show(s("overview"))]),
            ],
        },
        Case {
            name: "content change mid-loop keeps the slide on screen when it still exists",
            slides: three(),
            steps: vec![
                (3_000, Input::Tick, vec![Action::ResetVisitor, show(s("overview"))]),
                (4_000, Input::Tick, vec![show(s("reform"))]),
                (4_500, Input::ContentChanged(vec![s("new"), s("overview"), s("reform")]), vec![]),
                (5_000, Input::Tick, vec![show(s("new"))]),
            ],
        },
        Case {
            name: "content change removing the slide on screen shows the new first slide",
            slides: three(),
            steps: vec![
                (3_000, Input::Tick, vec![Action::ResetVisitor, show(s("overview"))]),
                (3_200, Input::ContentChanged(vec![s("a"), s("b")]), vec![show(s("a"))]),
                (4_199, Input::Tick, vec![]),
                (4_200, Input::Tick, vec![show(s("b"))]),
            ],
        },
        Case {
            name: "content change while active waits for the next attract loop",
            slides: three(),
            steps: vec![
                (1_000, Input::ContentChanged(vec![s("a")]), vec![]),
                (3_000, Input::Tick, vec![Action::ResetVisitor, show(s("a"))]),
            ],
        },
        Case {
            name: "no upcoming events: sections only",
            slides: vec![s("overview"), s("reform")],
            steps: vec![
                (3_000, Input::Tick, vec![Action::ResetVisitor, show(s("overview"))]),
                (4_000, Input::Tick, vec![show(s("reform"))]),
                (5_000, Input::Tick, vec![show(s("overview"))]),
            ],
        },
        Case {
            name: "a single section stays on screen without flicker",
            slides: vec![s("only")],
            steps: vec![
                (3_000, Input::Tick, vec![Action::ResetVisitor, show(s("only"))]),
                (4_000, Input::Tick, vec![]),
                (9_000, Input::Tick, vec![]),
                (9_100, Input::Touch, vec![Action::ShowHome]),
            ],
        },
        Case {
            name: "no slides at all: attract shows the invitation alone",
            slides: vec![],
            steps: vec![
                (3_000, Input::Tick, vec![Action::ResetVisitor, Action::ShowSlide { slide: None }]),
                (4_000, Input::Tick, vec![]),
                (4_100, Input::Touch, vec![Action::ShowHome]),
            ],
        },
    ];
    for case in cases {
        run(case);
    }
}

#[test]
fn deadline_is_the_next_moment_anything_can_change() {
    let a = Attract::new(vec![s("a"), s("b")], IDLE, SLIDE, 500);
    assert_eq!(a.deadline(), 3_500, "active: last touch + idle timeout");
    let (a, _) = a.next(3_500, Input::Tick);
    assert!(a.in_attract());
    assert_eq!(a.deadline(), 4_500, "attract: slide shown + slide duration");
    assert_eq!(a.current(), Some(&s("a")));
    let (a, _) = a.next(4_600, Input::Tick);
    assert_eq!(a.deadline(), 5_500, "slides stay on the schedule even when a tick is late");
}
