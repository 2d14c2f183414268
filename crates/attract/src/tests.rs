//! Table-driven: each case is a script of (time, input) → expected actions.
//! With the 3 s idle timeout the "more time" warning lasts 1 s: asked at 2 s,
//! reset at 3 s.

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
fn ask(seconds: u32) -> Action {
    Action::AskMoreTime { seconds }
}

type Step = (u64, Input, Vec<Action>);

/// From start-up at 0 into attract mode at 3 s, through the warning.
fn idle(first: Slide) -> Vec<Step> {
    vec![(2_000, Input::Tick, vec![ask(1)]), (3_000, Input::Tick, vec![Action::ResetVisitor, show(first)])]
}

fn then(mut before: Vec<Step>, after: Vec<Step>) -> Vec<Step> {
    before.extend(after);
    before
}

struct Case {
    name: &'static str,
    slides: Vec<Slide>,
    steps: Vec<Step>,
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
        Case { name: "nothing happens before the warning", slides: three(), steps: vec![(1_999, Input::Tick, vec![])] },
        Case {
            name: "a page loaded afresh in attract mode gets the slide on show again, one alone included; a visitor's nothing",
            slides: vec![s("only")],
            steps: then(
                vec![(500, Input::PageLoaded, vec![])],
                then(
                    idle(s("only")),
                    vec![
                        (3_500, Input::Tick, vec![]),
                        (4_200, Input::PageLoaded, vec![show(s("only"))]),
                        (4_300, Input::Touch, vec![Action::ShowHome]),
                        (4_400, Input::PageLoaded, vec![]),
                    ],
                ),
            ),
        },
        Case {
            name: "after a page reload the slides go on from the one on show",
            slides: three(),
            steps: then(
                idle(s("overview")),
                vec![
                    (4_000, Input::Tick, vec![show(s("reform"))]),
                    (4_500, Input::PageLoaded, vec![show(s("reform"))]),
                    (5_000, Input::Tick, vec![show(e("nauryz"))]),
                ],
            ),
        },
        Case {
            name: "idle → the warning a lead before the timeout, then the reset and the first slide at it",
            slides: three(),
            steps: vec![
                (2_000, Input::Tick, vec![ask(1)]),
                (2_999, Input::Tick, vec![]),
                (3_000, Input::Tick, vec![Action::ResetVisitor, show(s("overview"))]),
            ],
        },
        Case {
            name: "a touch restarts the idle countdown",
            slides: three(),
            steps: vec![
                (1_500, Input::Touch, vec![]),
                (3_000, Input::Tick, vec![]),
                (3_500, Input::Tick, vec![ask(1)]),
                (4_500, Input::Tick, vec![Action::ResetVisitor, show(s("overview"))]),
            ],
        },
        Case {
            name: "a touch during the warning gives more time: a full new timeout, warned again",
            slides: three(),
            steps: vec![
                (2_000, Input::Tick, vec![ask(1)]),
                (2_500, Input::Touch, vec![Action::MoreTime]),
                (2_600, Input::Touch, vec![]),
                (3_000, Input::Tick, vec![]),
                (4_599, Input::Tick, vec![]),
                (4_600, Input::Tick, vec![ask(1)]),
                (5_600, Input::Tick, vec![Action::ResetVisitor, show(s("overview"))]),
            ],
        },
        Case {
            name: "a late wake-up still shows the warning for its full length",
            slides: three(),
            steps: vec![
                (2_800, Input::Tick, vec![ask(1)]),
                (3_000, Input::Tick, vec![]),
                (3_799, Input::Tick, vec![]),
                (3_800, Input::Tick, vec![Action::ResetVisitor, show(s("overview"))]),
            ],
        },
        Case {
            name: "a wake-up long after the timeout asks first: the reset is never silent",
            slides: three(),
            steps: vec![
                (60_000, Input::Tick, vec![ask(1)]),
                (61_000, Input::Tick, vec![Action::ResetVisitor, show(s("overview"))]),
            ],
        },
        Case {
            name: "content change during the warning keeps it, and the reset shows the new content",
            slides: three(),
            steps: vec![
                (2_000, Input::Tick, vec![ask(1)]),
                (2_500, Input::ContentChanged(vec![s("new")]), vec![]),
                (2_999, Input::Tick, vec![]),
                (3_000, Input::Tick, vec![Action::ResetVisitor, show(s("new"))]),
            ],
        },
        Case {
            name: "assist mode multiplies the timeout (×4: 12 s, warned 4 s before) and the reset ends it",
            slides: three(),
            steps: vec![
                (1_000, Input::Assist(true), vec![]),
                (3_000, Input::Tick, vec![]),
                (8_999, Input::Tick, vec![]),
                (9_000, Input::Tick, vec![ask(4)]),
                (13_000, Input::Tick, vec![Action::ResetVisitor, show(s("overview"))]),
                (13_500, Input::Touch, vec![Action::ShowHome]),
                (15_500, Input::Tick, vec![ask(1)]),
                (16_500, Input::Tick, vec![Action::ResetVisitor, show(s("overview"))]),
            ],
        },
        Case {
            name: "turning assist on during the warning answers it and starts the longer timeout",
            slides: three(),
            steps: vec![
                (2_000, Input::Tick, vec![ask(1)]),
                (2_500, Input::Assist(true), vec![Action::MoreTime]),
                (3_000, Input::Tick, vec![]),
                (10_500, Input::Tick, vec![ask(4)]),
                (11_000, Input::Assist(false), vec![Action::MoreTime]),
                (13_000, Input::Tick, vec![ask(1)]),
                (14_000, Input::Tick, vec![Action::ResetVisitor, show(s("overview"))]),
            ],
        },
        Case {
            name: "assist turned on in attract mode is a visitor arriving; turned off there it is only noted",
            slides: three(),
            steps: then(
                idle(s("overview")),
                vec![
                    (3_100, Input::Assist(false), vec![]),
                    (4_000, Input::Tick, vec![show(s("reform"))]),
                    (4_100, Input::Assist(true), vec![Action::ShowHome]),
                    (12_099, Input::Tick, vec![]),
                    (12_100, Input::Tick, vec![ask(4)]),
                ],
            ),
        },
        Case {
            name: "slides in order, sections then events, and wrap around",
            slides: three(),
            steps: then(
                idle(s("overview")),
                vec![
                    (3_999, Input::Tick, vec![]),
                    (4_000, Input::Tick, vec![show(s("reform"))]),
                    (5_000, Input::Tick, vec![show(e("nauryz"))]),
                    (6_000, Input::Tick, vec![show(s("overview"))]),
                ],
            ),
        },
        Case {
            name: "a late wake-up skips the slides it missed",
            slides: three(),
            steps: then(
                idle(s("overview")),
                vec![(5_200, Input::Tick, vec![show(e("nauryz"))]), (6_000, Input::Tick, vec![show(s("overview"))])],
            ),
        },
        Case {
            name: "touch in attract → home, no reset on the way out, and no warning in attract mode",
            slides: three(),
            steps: then(
                idle(s("overview")),
                vec![
                    (3_500, Input::Touch, vec![Action::ShowHome]),
                    (4_000, Input::Tick, vec![]),
                    (5_500, Input::Tick, vec![ask(1)]),
                    (6_500, Input::Tick, vec![Action::ResetVisitor, show(s("overview"))]),
                    (7_500, Input::Tick, vec![show(s("reform"))]),
                ],
            ),
        },
        Case {
            name: "content change mid-loop keeps the slide on screen when it still exists",
            slides: three(),
            steps: then(
                idle(s("overview")),
                vec![
                    (4_000, Input::Tick, vec![show(s("reform"))]),
                    (4_500, Input::ContentChanged(vec![s("new"), s("overview"), s("reform")]), vec![]),
                    (5_000, Input::Tick, vec![show(s("new"))]),
                ],
            ),
        },
        Case {
            name: "content change removing the slide on screen shows the new first slide",
            slides: three(),
            steps: then(
                idle(s("overview")),
                vec![
                    (3_200, Input::ContentChanged(vec![s("a"), s("b")]), vec![show(s("a"))]),
                    (4_199, Input::Tick, vec![]),
                    (4_200, Input::Tick, vec![show(s("b"))]),
                ],
            ),
        },
        Case {
            name: "content change while active waits for the next attract loop",
            slides: three(),
            steps: then(vec![(1_000, Input::ContentChanged(vec![s("a")]), vec![])], idle(s("a"))),
        },
        Case {
            name: "no upcoming events: sections only",
            slides: vec![s("overview"), s("reform")],
            steps: then(
                idle(s("overview")),
                vec![(4_000, Input::Tick, vec![show(s("reform"))]), (5_000, Input::Tick, vec![show(s("overview"))])],
            ),
        },
        Case {
            name: "a single section stays on screen without flicker",
            slides: vec![s("only")],
            steps: then(
                idle(s("only")),
                vec![
                    (4_000, Input::Tick, vec![]),
                    (9_000, Input::Tick, vec![]),
                    (9_100, Input::Touch, vec![Action::ShowHome]),
                ],
            ),
        },
        Case {
            name: "no slides at all: attract shows the invitation alone",
            slides: vec![],
            steps: vec![
                (2_000, Input::Tick, vec![ask(1)]),
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
fn the_warning_is_a_third_of_the_timeout_between_one_and_twenty_seconds() {
    // (timeout, warning) in ms; 20 s is WCAG 2.2.1's least time to answer.
    let cases = [
        (1, 0),
        (1_000, 500),
        (1_999, 999),
        (2_000, 1_000),
        (3_000, 1_000),
        (5_999, 1_000),
        (6_000, 2_000),
        (30_000, 10_000),
        (60_000, 20_000),
        (90_000, 20_000),
        (360_000, 20_000),
        (u64::MAX, 20_000),
    ];
    for (timeout, warning) in cases {
        assert_eq!(warning_ms(timeout), warning, "warning for a {timeout} ms timeout");
    }
}

#[test]
fn assist_at_a_real_timeout_warns_at_four_times_the_timeout_less_the_lead() {
    // The shipped bundle's 90 s: normally asked at 70 s; in assist mode at 4 × 90 − 20 = 340 s.
    let a = Attract::new(vec![s("a")], 90_000, 8_000, 0);
    assert_eq!(a.deadline(), 70_000, "normal: asked 20 s before the 90 s timeout");
    let (a, actions) = a.next(10_000, Input::Assist(true));
    assert!(actions.is_empty(), "turning assist on with no prompt on screen shows nothing: {actions:?}");
    assert_eq!(a.deadline(), 10_000 + 340_000, "assist: asked at 4 × 90 s − 20 s after the last action");
    let (a, actions) = a.next(350_000, Input::Tick);
    assert_eq!(actions, [ask(20)], "the assisted visitor has 20 s to answer");
    assert_eq!(a.deadline(), 370_000, "the reset is the full timeout after the last action");
    let (a, actions) = a.next(370_000, Input::Tick);
    assert_eq!(actions, [Action::ResetVisitor, show(s("a"))]);
    assert!(!a.assist, "the reset turns assist mode off for the next visitor");

    let two = Attract::new(vec![], 90_000, 8_000, 0).with_assist_factor(2);
    let (two, _) = two.next(0, Input::Assist(true));
    assert_eq!(two.deadline(), 160_000, "×2: asked at 180 s − 20 s");
    let zero = Attract::new(vec![], 90_000, 8_000, 0).with_assist_factor(0);
    let (zero, _) = zero.next(0, Input::Assist(true));
    assert_eq!(zero.effective_timeout(), 90_000, "a factor of 0 counts as 1, never a zero timeout");
}

/// Runs `a` the way the driver does, waking only at each deadline, until `until`.
fn wake_at_deadlines(mut a: Attract, until: u64) -> Vec<(u64, Action)> {
    let mut seen = Vec::new();
    while a.deadline() <= until {
        let now = a.deadline();
        let (next, actions) = a.next(now, Input::Tick);
        a = next;
        seen.extend(actions.into_iter().map(|action| (now, action)));
    }
    seen
}

#[test]
fn tiny_timeouts_still_warn_after_the_last_touch_and_before_the_reset_and_never_after_it() {
    for timeout in (1_000..=3_000).step_by(100) {
        let seen = wake_at_deadlines(Attract::new(vec![s("a"), s("b")], timeout, SLIDE, 0), timeout * 10);
        let asks: Vec<_> = seen.iter().filter(|(_, a)| matches!(a, Action::AskMoreTime { .. })).collect();
        let resets: Vec<_> = seen.iter().filter(|(_, a)| *a == Action::ResetVisitor).collect();
        assert_eq!(asks.len(), 1, "{timeout} ms: one warning, none in attract mode: {seen:?}");
        assert_eq!(resets.len(), 1, "{timeout} ms: one reset: {seen:?}");
        let (asked, _) = asks[0];
        assert!(
            *asked > 0 && *asked < timeout,
            "{timeout} ms: asked after the last touch, before the timeout: {asked}"
        );
        assert_eq!(*resets[0], (timeout, Action::ResetVisitor), "{timeout} ms: the reset comes at the timeout");
        assert_eq!(seen[0].1, Action::AskMoreTime { seconds: 1 }, "{timeout} ms: the prompt comes first");
    }
}

#[test]
fn a_zero_timeout_resets_without_a_question_and_does_not_spin() {
    let seen = wake_at_deadlines(Attract::new(vec![s("a")], 0, SLIDE, 0), 5_000);
    assert_eq!(seen[..2], [(0, Action::ResetVisitor), (0, show(s("a")))], "no room for a question: {seen:?}");
    assert_eq!(seen.len(), 2, "a single slide stays, nothing more: {seen:?}");
}

#[test]
fn deadline_is_the_next_moment_anything_can_change() {
    let a = Attract::new(vec![s("a"), s("b")], IDLE, SLIDE, 500);
    assert_eq!(a.deadline(), 2_500, "active: last touch + idle timeout − warning");
    let (a, _) = a.next(2_500, Input::Tick);
    assert!(a.asking());
    assert_eq!(a.deadline(), 3_500, "asked: last touch + idle timeout");
    let (a, _) = a.next(3_500, Input::Tick);
    assert!(a.in_attract());
    assert_eq!(a.deadline(), 4_500, "attract: slide shown + slide duration");
    assert_eq!(a.current(), Some(&s("a")));
    let (a, _) = a.next(4_600, Input::Tick);
    assert_eq!(a.deadline(), 5_500, "slides stay on the schedule even when a tick is late");
}
