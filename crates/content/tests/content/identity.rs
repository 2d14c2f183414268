//! The embassy's identity and the interface's words, from the content folder
//! to the home view: what another embassy (or this one adding a language)
//! changes without a developer, and each mistake staff can make there.

use super::*;
use kiosk_content::words::Direction;

#[test]
fn the_demo_bundle_names_its_embassy_and_speaks_each_language() {
    let tmp = tempfile::tempdir().unwrap();
    let b = build_ok(&demo_content(), &tmp.path().join("demo.kbundle"));
    let kk = b.home(Some("kk")).unwrap();
    assert_eq!(kk.words["embassy"], "Қазақстан Елшілігі", "the header's name comes from [identity]");
    assert_eq!(kk.words["about"], "Қазақстан туралы");
    assert_eq!(kk.words["back"], "Артқа", "the shipped Kazakh words");
    assert_eq!((kk.locale.as_str(), kk.direction, kk.keyboard.as_str()), ("kk-KZ", Direction::Ltr, "cyrillic"));
    let names: Vec<_> = kk.languages.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["English", "Қазақша", "Русский"], "each language named in its own words, whatever is on screen");
    assert!(
        kk.emblem.as_deref().is_some_and(|e| e.starts_with("data:image/svg+xml;base64,")),
        "the emblem travels in the bundle"
    );
    assert!(kk.ornament.is_some());
    assert!(kk.email_endings.iter().any(|e| e == ".қаз"), "the email keyboard's endings are the embassy's");
}

/// The demo content with Chinese and Arabic added the way staff would:
/// `languages` in settings.toml and a `ui/<lang>.toml` each.
fn with_new_languages() -> (tempfile::TempDir, PathBuf) {
    let (tmp, dir) = scratch();
    edit(
        &dir.join("settings.toml"),
        r#"languages = ["en", "kk", "ru"]"#,
        r#"languages = ["en", "kk", "ru", "zh", "ar"]"#,
    );
    std::fs::create_dir_all(dir.join("ui")).unwrap();
    std::fs::write(
        dir.join("ui/zh.toml"),
        "[language]\nname = \"中文\"\nlocale = \"zh-CN\"\n\n[words]\nback = \"返回\"\nmusicIntro_other = \"{n} 段音乐。\"\n",
    )
    .unwrap();
    std::fs::write(dir.join("ui/ar.toml"), "[language]\nname = \"العربية\"\n\n[words]\nback = \"رجوع\"\n").unwrap();
    (tmp, dir)
}

#[test]
fn a_language_is_added_by_content_alone_and_what_it_lacks_is_listed() {
    let (_tmp, dir) = with_new_languages();
    let out = dir.parent().unwrap().join("out.kbundle");
    let report = build_bundle(&dir, &out, &opts(), &mut NoProgress).expect("new languages build");
    let b = Bundle::open(&out).unwrap();
    let zh = b.home(Some("zh")).unwrap();
    assert_eq!(zh.lang, "zh");
    assert_eq!(zh.words["back"], "返回");
    assert_eq!(zh.words["submit"], "Sign up", "a missing word falls back to the default language");
    assert_eq!(zh.words["embassy"], "Embassy of Kazakhstan", "an identity text not translated falls back too");
    assert_eq!(zh.locale, "zh-CN");
    let ar = b.home(Some("ar")).unwrap();
    assert_eq!((ar.direction, ar.keyboard.as_str(), ar.locale.as_str()), (Direction::Rtl, "arabic", "ar"));
    let notes: Vec<String> = report.notes.iter().map(|n| n.to_string()).collect();
    let zh_note = notes.iter().find(|n| n.contains("ui/zh.toml")).expect("the build lists Chinese's missing words");
    assert!(zh_note.contains("submit") && !zh_note.contains(" back"), "{zh_note}");
    assert!(!notes.iter().any(|n| n.contains("ui/kk.toml")), "Kazakh ships complete: {notes:?}");
    assert_eq!(ar.languages.iter().find(|l| l.code == "ar").unwrap().direction, Direction::Rtl);
}

#[test]
fn mistakes_in_a_words_file_name_file_and_line() {
    let (_tmp, dir) = with_new_languages();
    std::fs::write(
        dir.join("ui/zh.toml"),
        "[language]\nname = \"中文\"\nkeyboard = \"pinyin\"\ndirection = \"up\"\n\n[words]\nback = \"返回\"\nbakc = \"返回\"\nsubmit = \"  \"\n",
    )
    .unwrap();
    std::fs::write(dir.join("ui/de.toml"), "[words]\nback = \"Zurück\"\n").unwrap();
    std::fs::write(dir.join("ui/ar.toml"), "[words]\nback = \"رجوع\"\n").unwrap();
    let errors = build_errors(&dir);
    assert_error(&errors, "ui/zh.toml", Some(3), "keyboard `pinyin`");
    assert_error(&errors, "ui/zh.toml", Some(4), "direction `up`");
    assert_error(&errors, "ui/zh.toml", Some(8), "`bakc` is not a word of the interface");
    assert_error(&errors, "ui/zh.toml", Some(9), "`submit` is empty");
    assert_error(&errors, "ui/de.toml", None, "`de` is not among the kiosk's languages");
    assert_error(&errors, "ui/ar.toml", Some(1), "needs its own name");
}

#[test]
fn identity_mistakes_name_file_and_line() {
    let (_tmp, dir) = scratch();
    let settings = std::fs::read_to_string(dir.join("settings.toml")).unwrap();
    let line_of = |needle: &str| settings.lines().position(|l| l.contains(needle)).unwrap() + 1;
    edit(&dir.join("settings.toml"), "emblem = \"identity/emblem.svg\"", "emblem = \"../../etc/passwd\"");
    edit(&dir.join("settings.toml"), "ornament = \"identity/ornament.svg\"", "ornament = \"identity/missing.png\"");
    edit(&dir.join("settings.toml"), "\".қаз\"]", "\"kz\"]");
    let errors = build_errors(&dir);
    assert_error(&errors, "settings.toml", Some(line_of("emblem = ")), "must be a file inside the content folder");
    assert_error(&errors, "settings.toml", Some(line_of("ornament = ")), "cannot read `identity/missing.png`");
    assert_error(&errors, "settings.toml", Some(line_of("email_endings")), "`kz` is not an email ending");

    let (_tmp, dir) = scratch();
    edit(&dir.join("settings.toml"), "[identity.name]", "[identity.title]");
    assert_error(&build_errors(&dir), "settings.toml", None, "unknown field `title`");
}

#[test]
fn an_emblem_with_a_script_is_refused_at_its_line() {
    let (_tmp, dir) = scratch();
    edit(&dir.join("identity/emblem.svg"), "  <g fill", "  <script>fetch('https://x.example')</script>\n  <g fill");
    assert_error(&build_errors(&dir), "identity/emblem.svg", Some(3), "<script> is not allowed");
}

#[test]
fn a_content_folder_without_identity_is_told_what_to_add() {
    let (_tmp, dir) = scratch();
    let settings = std::fs::read_to_string(dir.join("settings.toml")).unwrap();
    let cut = settings.find("# What makes the kiosk the embassy's own").unwrap();
    std::fs::write(dir.join("settings.toml"), &settings[..cut]).unwrap();
    assert_error(&build_errors(&dir), "settings.toml", None, "there is no [identity] table");
}

/// Rewrites one settings value of a built bundle, as another tool could.
fn tamper(bundle: &Path, key: &str, edit: impl FnOnce(&mut serde_json::Value)) {
    let conn = rusqlite::Connection::open(bundle).unwrap();
    let text: String = conn.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| r.get(0)).unwrap();
    let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
    edit(&mut value);
    conn.execute("UPDATE settings SET value = ?2 WHERE key = ?1", rusqlite::params![key, value.to_string()]).unwrap();
}

#[test]
fn a_bundle_from_before_words_were_carried_speaks_with_the_shipped_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("old.kbundle");
    build_ok(&demo_content(), &out);
    let conn = rusqlite::Connection::open(&out).unwrap();
    conn.execute("DELETE FROM settings WHERE key IN ('ui', 'identity')", []).unwrap();
    drop(conn);
    let b = Bundle::open(&out).unwrap();
    b.verify().expect("an older bundle still verifies");
    let ru = b.home(Some("ru")).unwrap();
    assert_eq!(ru.words["back"], "Назад");
    assert_eq!(ru.words["embassy"], "Посольство", "no identity: the generic word, never another country's name");
    assert_eq!(ru.emblem, None);
    assert_eq!(ru.email_endings, kiosk_content::model::DEFAULT_EMAIL_ENDINGS);
}

#[test]
fn a_signed_bundle_made_by_another_tool_cannot_slip_a_scripted_emblem_past_the_kiosk() {
    use base64::Engine;
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("evil.kbundle");
    build_ok(&demo_content(), &out);
    let evil = base64::engine::general_purpose::STANDARD.encode("<svg><script>alert(1)</script></svg>");
    tamper(&out, "identity", |v| v["emblem"]["base64"] = evil.into());
    let err = Bundle::open(&out).unwrap().check_rendered().expect_err("a scripted emblem must be refused");
    assert!(matches!(err, BundleError::Unsafe(ref m) if m.contains("emblem")), "{err}");

    build_ok(&demo_content(), &out);
    tamper(&out, "ui", |v| v["kk"]["keyboard"] = "<img src=x>".into());
    assert!(Bundle::open(&out).unwrap().check_rendered().is_err(), "an unknown keyboard is refused too");
}

#[test]
fn text_no_font_can_draw_is_refused_with_file_and_line() {
    let (_tmp, dir) = scratch();
    edit(&dir.join("sections/overview.md"), "The Constitution", "The 😀 Constitution");
    edit(&dir.join("settings.toml"), "en = \"Embassy of Kazakhstan\"", "en = \"Embassy of Kazakhstan \u{e000}\"");
    edit(&dir.join("settings.toml"), "[identity.name]", "[identity.name]  # 🇰🇿 a comment no visitor sees");
    let text = std::fs::read_to_string(dir.join("sections/overview.md")).unwrap();
    let line = text.lines().position(|l| l.contains('😀')).unwrap() + 1;
    let settings = std::fs::read_to_string(dir.join("settings.toml")).unwrap();
    let name_line = settings.lines().position(|l| l.contains('\u{e000}')).unwrap() + 1;
    let errors = build_errors(&dir);
    assert_error(&errors, "sections/overview.md", Some(line), "`😀` (U+1F600) is drawn by none of the kiosk's fonts");
    assert_error(&errors, "settings.toml", Some(name_line), "U+E000");
    assert_eq!(errors.len(), 2, "the comment is not checked: {errors:#?}");
}

#[test]
fn an_escaped_character_no_font_draws_is_refused_too_and_comments_are_not_checked() {
    let (_tmp, dir) = scratch();
    edit(
        &dir.join("settings.toml"),
        "en = \"Embassy of Kazakhstan\"",
        "en = \"Embassy of Kazakhstan\"\t# 🇰🇿 after a tab",
    );
    std::fs::create_dir_all(dir.join("ui")).unwrap();
    std::fs::write(dir.join("ui/en.toml"), "[words]\nback = \"Back \\U0001F519\"\n").unwrap();
    edit(&dir.join("sections/overview.md"), "The Constitution", "The &#x1F600; Constitution");
    let events = std::fs::read_to_string(dir.join("events.toml")).unwrap();
    let title = events.lines().find(|l| l.starts_with("title = \"")).unwrap().to_string();
    edit(&dir.join("events.toml"), &title, &title.replacen("title = \"", "title = \"\\u2B50\\uFE0F\\U0001F3B5 ", 1));
    let errors = build_errors(&dir);
    assert_error(&errors, "ui/en.toml", None, "the word `back` (en): `🔙` (U+1F519)");
    assert_error(&errors, "sections", None, "section `overview` (en): `😀`");
    assert_error(&errors, "events.toml", None, "`🎵` (U+1F3B5)");
    assert_eq!(errors.len(), 3, "a comment after a tab is not checked: {errors:#?}");
}

#[test]
fn a_language_twice_a_posix_locale_or_a_language_without_words_is_refused_at_its_line() {
    let (_tmp, dir) = with_new_languages();
    edit(&dir.join("settings.toml"), r#""zh", "ar"]"#, r#""zh", "ar", "zh", "de"]"#);
    std::fs::write(dir.join("ui/ar.toml"), "[language]\nname = \"العربية\"\nlocale = \"ar_EG\"\n").unwrap();
    let settings = std::fs::read_to_string(dir.join("settings.toml")).unwrap();
    let line = settings.lines().position(|l| l.starts_with("languages")).unwrap() + 1;
    let errors = build_errors(&dir);
    assert_error(&errors, "settings.toml", Some(line), "`zh` is listed twice");
    assert_error(&errors, "settings.toml", None, "`de` is in `languages` but the kiosk has no interface words");
    assert_error(&errors, "ui/ar.toml", Some(3), "locale `ar_EG` is not a language tag");
}

#[test]
fn a_bundle_from_another_tool_with_a_bad_locale_too_many_endings_or_a_language_twice_is_handled() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("other.kbundle");
    build_ok(&demo_content(), &out);
    tamper(&out, "ui", |v| v["ru"]["locale"] = "ru_RU".into());
    let err = Bundle::open(&out).unwrap().check_rendered().expect_err("a locale Intl throws on is refused");
    assert!(err.to_string().contains("ru_RU"), "{err}");

    build_ok(&demo_content(), &out);
    tamper(&out, "identity", |v| v["email_endings"] = serde_json::json!(vec![".kz"; 300]));
    assert!(Bundle::open(&out).unwrap().check_rendered().is_err(), "300 ending keys would push the form off screen");

    build_ok(&demo_content(), &out);
    tamper(&out, "languages", |v| v.as_array_mut().unwrap().push("kk".into()));
    tamper(&out, "ui", |v| {
        v["kk"]["words"].as_object_mut().unwrap().remove("back");
    });
    let b = Bundle::open(&out).unwrap();
    let home = b.home(Some("kk")).unwrap();
    assert_eq!(home.languages.len(), 3, "a language listed twice is offered once (the UI keys its buttons by code)");
    assert_eq!(home.words["back"], "Артқа", "a word the bundle lacks is the shipped one, never an empty label");
}
