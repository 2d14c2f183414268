//! What a visitor who cannot see the screen would miss, shown in the studio
//! where staff fix it: a picture in a text under that text, a track title
//! speech cannot read under that title, in the language it is in.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::fixture::{Fixture, fields, repo};

fn check(f: &Fixture, drafts: &Value) -> Value {
    let a = f.call("POST", "/api/check", &json!({ "drafts": drafts }));
    assert_eq!(a.status, StatusCode::OK, "{}", String::from_utf8_lossy(&a.body));
    a.json()["problems"].clone()
}

#[test]
fn a_picture_in_a_section_is_shown_under_its_text_and_writing_it_as_words_clears_it() {
    let f = Fixture::new();
    let c = f.content();
    let before = f.read("sections/overview.md");
    let mut drafts = c["drafts"].clone();
    assert_eq!(drafts["sections"][0]["id"], "overview");
    let body = drafts["sections"][0]["body"]["en"].as_str().unwrap().to_string();
    drafts["sections"][0]["body"]["en"] = json!(format!("![](map.png)\n\n{body}"));
    drafts["sections"][0]["title"]["kk"] = json!("Шолу");
    drafts["sections"][0]["body"]["kk"] = json!("Кіріспе.\n\n![Қазақстан картасы](map.png)");
    let problems = check(&f, &drafts);
    assert_eq!(
        fields(&problems),
        vec![
            ("section-body-en".to_string(), Some("overview".into())),
            ("section-body-kk".into(), Some("overview".into()))
        ],
        "each picture is shown under the text it is in: {problems}"
    );
    assert!(
        problems[0]["message"]
            .as_str()
            .unwrap()
            .contains("`map.png` has no description for visitors who cannot see it"),
        "{problems}"
    );
    assert!(problems[1]["message"].as_str().unwrap().ends_with("instead: Қазақстан картасы"), "{problems}");
    assert_eq!(problems[0]["at"], "sections/overview.md:7", "file and line in small print");
    let a = f.save(&c, &drafts);
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "nothing is saved while a picture stands");
    assert_eq!(f.read("sections/overview.md"), before);

    // Fixed as the message says: the picture's content written as words.
    drafts["sections"][0]["body"]["en"] = json!(format!("The map shows the country's regions.\n\n{body}"));
    drafts["sections"][0]["body"]["kk"] = json!("Кіріспе.\n\nҚазақстан картасы.");
    assert_eq!(check(&f, &drafts), json!([]), "fixed, the problems are gone");
    assert_eq!(f.save(&c, &drafts).status, StatusCode::OK);
    assert!(f.read("sections/overview.md").contains("The map shows the country's regions."));
}

#[test]
fn a_track_title_that_is_its_file_name_is_shown_under_the_title_until_it_is_written_in_words() {
    let f = Fixture::new();
    let ogg = std::fs::read(repo().join("content/music/evening-song.ogg")).unwrap();
    let up = f.upload("dombra-night.ogg", ogg);
    assert_eq!(up.status, StatusCode::OK);
    assert_eq!(up.json()["file"], "dombra-night.ogg");
    let c = f.content();
    let mut drafts = c["drafts"].clone();
    // What the music page fills in for a new upload: the file's name.
    let track = json!({ "id": "dombra-night", "file": "dombra-night.ogg", "title": { "en": "dombra-night", "kk": "♪ ♪" }, "credit": { "en": "Recorded at the embassy" } });
    drafts["tracks"].as_array_mut().unwrap().push(track);
    let problems = check(&f, &drafts);
    assert_eq!(
        fields(&problems),
        vec![
            ("track-title-en".to_string(), Some("dombra-night".into())),
            ("track-title-kk".into(), Some("dombra-night".into()))
        ],
        "{problems}"
    );
    assert!(problems[0]["message"].as_str().unwrap().contains("is the audio file's name"), "{problems}");
    assert!(problems[1]["message"].as_str().unwrap().contains("has no words in it"), "{problems}");
    assert_eq!(f.save(&c, &drafts).status, StatusCode::UNPROCESSABLE_ENTITY);

    let tracks = drafts["tracks"].as_array_mut().unwrap();
    tracks.last_mut().unwrap()["title"] = json!({ "en": "Dombra Night", "kk": "Домбыра түні" });
    assert_eq!(check(&f, &drafts), json!([]));
    assert_eq!(f.save(&c, &drafts).status, StatusCode::OK);
}

#[test]
fn a_picture_in_an_event_description_is_shown_under_that_description() {
    let f = Fixture::new();
    let c = f.content();
    let mut drafts = c["drafts"].clone();
    let id = drafts["events"][0]["id"].as_str().unwrap().to_string();
    drafts["events"][0]["description"]["ru"] = json!("Приём. ![Зал](hall.png)");
    let problems = check(&f, &drafts);
    assert_eq!(fields(&problems), vec![("event-description-ru".to_string(), Some(id))], "{problems}");
    assert!(problems[0]["message"].as_str().unwrap().contains("`hall.png` would not be shown"), "{problems}");
}
