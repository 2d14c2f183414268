//! Text alternatives, as staff meet them: a picture written into a text, a
//! track title speech cannot read, an embassy name without words. Each is
//! refused with its file and line; the demo content passes.

use super::*;
use kiosk_content::render::markdown_to_html;

#[test]
fn the_kiosk_shows_no_picture_inside_a_text_so_the_build_must_say_so() {
    // Why a picture is refused rather than passed on: the sanitiser drops
    // it, description and all, so no visitor would ever meet it.
    let html = markdown_to_html("Before ![A map of the regions](map.png) after");
    assert_eq!(html, "<p>Before  after</p>\n", "neither the picture nor its description reaches the kiosk");
}

#[test]
fn a_picture_in_a_section_is_refused_at_its_line_with_or_without_a_description() {
    let (_tmp, dir) = scratch();
    edit(&dir.join("sections/overview.md"), "+++\n\nThe Constitution", "+++\n\n![](map.png)\n\nThe Constitution");
    edit(
        &dir.join("sections/interethnic-consent.kk.md"),
        "+++\n\n",
        "+++\n\nКіріспе.\n\nМәтін ![Қазақстан картасы](map.png) мәтін.\n\n",
    );
    let errors = build_errors(&dir);
    assert_error(
        &errors,
        "sections/overview.md",
        Some(7),
        "the picture `map.png` has no description for visitors who cannot see it",
    );
    assert_error(&errors, "sections/interethnic-consent.kk.md", Some(7), "the picture `map.png` would not be shown");
    assert_error(
        &errors,
        "sections/interethnic-consent.kk.md",
        Some(7),
        "write its description as text instead: Қазақстан картасы",
    );
    assert_eq!(errors.len(), 2, "one error per picture: {errors:#?}");
    let shown = errors[0].to_string();
    assert!(shown.contains("sections/overview.md:7: the picture"), "file and line lead the message: {shown}");
}

#[test]
fn a_picture_in_an_event_description_is_refused_at_its_line_naming_the_language() {
    let (_tmp, dir) = scratch();
    edit(
        &dir.join("events.toml"),
        "description = \"A free first lesson in Kazakh for beginners: the alphabet, greetings and numbers.\"",
        "description = { en = \"A first lesson.\", kk = \"Алғашқы сабақ ![](class.png)\" }",
    );
    edit(
        &dir.join("events.toml"),
        "description = \"An evening reception marking Republic Day of Kazakhstan (25 October).\"",
        "description = \"\"\"\nAn evening reception.\n\n![The reception hall](hall.png)\n\"\"\"",
    );
    let errors = build_errors(&dir);
    assert_error(&errors, "events.toml", Some(25), "description (`kk`): the picture `class.png` has no description");
    assert_error(&errors, "events.toml", Some(16), "description: the picture `hall.png` would not be shown");
}

#[test]
fn a_track_title_speech_cannot_read_is_refused_at_its_line() {
    let (_tmp, dir) = scratch();
    let tracks = dir.join("music/tracks.toml");
    edit(
        &tracks,
        "title = { en = \"Steppe Morning\", kk = \"Дала таңы\"",
        "title = { en = \"steppe-morning\", kk = \"♪ ♪\"",
    );
    edit(&tracks, "title = { en = \"Caravan Road\", kk", "title = { kk");
    edit(&tracks, "title = { en = \"Evening Song\"", "title = { en = \"evening-song.ogg\"");
    let errors = build_errors(&dir);
    assert_error(&errors, "music/tracks.toml", Some(7), "title: `steppe-morning` is the audio file's name");
    assert_error(&errors, "music/tracks.toml", Some(7), "e.g. \"Steppe morning\"");
    assert_error(&errors, "music/tracks.toml", Some(7), "title (`kk`): `♪ ♪` has no words in it");
    assert_error(&errors, "music/tracks.toml", Some(13), "title: there is no `en` title");
    assert_error(&errors, "music/tracks.toml", Some(19), "title: `evening-song.ogg` is the audio file's name");
    assert_eq!(errors.len(), 4, "{errors:#?}");
}

#[test]
fn the_emblems_text_alternative_is_the_embassys_name_in_every_language() {
    // The header's button is labelled with the name and the emblem inside
    // it is decorative: the name must travel with the emblem, with words in it.
    let tmp = tempfile::tempdir().unwrap();
    let b = build_ok(&demo_content(), &tmp.path().join("demo.kbundle"));
    for lang in ["en", "kk", "ru"] {
        let home = b.home(Some(lang)).unwrap();
        assert!(home.emblem.is_some(), "the demo has an emblem");
        let name = &home.words["embassy"];
        assert!(name.chars().any(char::is_alphabetic), "the emblem's text alternative in {lang} has words: {name:?}");
    }
    let (_tmp, dir) = scratch();
    edit(&dir.join("settings.toml"), "kk = \"Қазақстан Елшілігі\"", "kk = \"★ ★ ★\"");
    let errors = build_errors(&dir);
    assert_error(&errors, "settings.toml", Some(50), "identity.name (`kk`): `★ ★ ★` has no words in it");
}
