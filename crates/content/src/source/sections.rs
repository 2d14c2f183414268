//! `sections/*.md`: one Markdown file per section in the default language,
//! with TOML front matter (`id`, `order`, `title`) between `+++` lines, and
//! `<name>.<lang>.md` beside it for each translation (front matter: `title`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use kiosk_config::line_of;
use serde::Deserialize;
use toml::Spanned;

use super::{Loader, is_id};
use crate::error::ContentError;
use crate::model::{Section, SectionText, Settings};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSectionFront {
    id: Spanned<String>,
    order: i64,
    title: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTranslationFront {
    title: String,
}

/// Sections read so far, by file stem (`history` for `history.md`), with
/// the file each came from (a duplicate id names the first one).
type ByStem = BTreeMap<String, (Section, PathBuf)>;

/// A translation's file name, the stem of the section it translates, and its language.
struct TranslationName {
    name: String,
    base: String,
    lang: String,
}

impl Loader<'_> {
    pub(super) fn sections(&mut self, settings: &Settings) -> Vec<Section> {
        let dir = self.dir.join("sections");
        let Some(names) = self.markdown_names(&dir) else {
            return Vec::new();
        };
        let (mut sections, translations) = self.default_language_sections(&dir, names, settings);
        for translation in translations {
            self.add_translation(&dir, translation, settings, &mut sections);
        }
        if sections.is_empty() && self.errors.is_empty() {
            self.errors.push(ContentError::file(&dir, "no sections: add at least one Markdown file"));
        }
        let mut out: Vec<Section> = sections.into_values().map(|(s, _)| s).collect();
        out.sort_by(|a, b| a.order.cmp(&b.order).then_with(|| a.id.cmp(&b.id)));
        out
    }

    /// The `.md` files of the sections folder, sorted so errors come in a stable order.
    fn markdown_names(&mut self, dir: &Path) -> Option<Vec<String>> {
        let mut names: Vec<String> = match std::fs::read_dir(dir) {
            Ok(entries) => entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".md"))
                .collect(),
            Err(e) => {
                self.errors.push(ContentError::file(dir, format!("cannot read the sections folder: {e}")));
                return None;
            }
        };
        names.sort();
        Some(names)
    }

    /// Reads the default-language files (`<name>.md`), refusing a second use
    /// of an id, and sets the translations (`<name>.<lang>.md`) aside.
    fn default_language_sections(
        &mut self,
        dir: &Path,
        names: Vec<String>,
        settings: &Settings,
    ) -> (ByStem, Vec<TranslationName>) {
        let mut sections = ByStem::new();
        let mut translations = Vec::new();
        for name in names {
            let stem = name.trim_end_matches(".md");
            if let Some((base, lang)) = stem.rsplit_once('.') {
                translations.push(TranslationName {
                    name: name.clone(),
                    base: base.to_string(),
                    lang: lang.to_string(),
                });
                continue;
            }
            let Some(section) = self.section_file(&name, settings) else {
                continue;
            };
            let file = dir.join(&name);
            if let Some((_, first)) = sections.iter().find(|(_, (s, _))| s.id == section.id) {
                self.errors.push(ContentError::at(
                    &file,
                    2,
                    format!(
                        "duplicate section id `{}`: {} already uses it; give each section its own id",
                        section.id,
                        first.1.display()
                    ),
                ));
            } else {
                sections.insert(stem.to_string(), (section, file));
            }
        }
        (sections, translations)
    }

    /// Adds one translation to its section, if its language is offered, is
    /// not the default, and the section exists.
    fn add_translation(&mut self, dir: &Path, t: TranslationName, settings: &Settings, sections: &mut ByStem) {
        let TranslationName { name, base, lang } = t;
        let file = dir.join(&name);
        if !settings.languages.contains(&lang) {
            self.errors.push(ContentError::at(
                &file,
                1,
                format!(
                    "unknown language `{lang}` in the file name; the kiosk offers {:?} (settings.toml)",
                    settings.languages
                ),
            ));
            return;
        }
        if lang == settings.default_language {
            self.errors.push(ContentError::at(
                &file,
                1,
                format!("`{base}.md` is already the `{lang}` text; remove this file or merge it"),
            ));
            return;
        }
        let Some(text) = self.translation_file(&name) else {
            return;
        };
        match sections.get_mut(&base) {
            Some((section, _)) => {
                section.texts.insert(lang, text);
            }
            None => self.errors.push(ContentError::at(
                &file,
                1,
                format!("translation of `{base}.md`, which does not exist; create it or rename this file"),
            )),
        }
    }

    /// Splits `+++` front matter from the body. Returns (front matter, first line of it, body).
    fn front_matter<'t>(&mut self, file: &Path, text: &'t str) -> Option<(&'t str, &'t str)> {
        let rest = text.strip_prefix('\u{feff}').unwrap_or(text);
        let Some(rest) = rest.strip_prefix("+++\n").or_else(|| rest.strip_prefix("+++\r\n")) else {
            self.errors.push(ContentError::at(
                file,
                1,
                "the file must start with front matter: a line `+++`, then `id`, `order` and `title`, then `+++`",
            ));
            return None;
        };
        let end = rest.find("\n+++").filter(|&i| {
            let after = &rest[i + 4..];
            after.is_empty() || after.starts_with('\n') || after.starts_with("\r\n")
        });
        let Some(end) = end else {
            self.errors.push(ContentError::at(file, 1, "the front matter is not closed: add a line `+++` after it"));
            return None;
        };
        let body = rest[end + 4..].trim_start_matches(['\r', '\n']);
        Some((&rest[..end + 1], body))
    }

    fn section_file(&mut self, name: &str, settings: &Settings) -> Option<Section> {
        let rel = format!("sections/{name}");
        let file = self.dir.join(&rel);
        let text = self.read_text(&rel)?;
        let (fm, body) = self.front_matter(&file, &text)?;
        let raw: RawSectionFront = self.parse(&file, fm, 2)?;
        let id = raw.id.get_ref().trim().to_string();
        if !is_id(&id) {
            self.errors.push(ContentError::at(
                &file,
                1 + line_of(fm, raw.id.span().start),
                format!("id `{id}` may only use lower-case letters, digits and `-`"),
            ));
            return None;
        }
        if raw.title.trim().is_empty() {
            self.errors.push(ContentError::at(&file, 2, "the title is empty"));
            return None;
        }
        if body.trim().is_empty() {
            self.errors.push(ContentError::file(&file, "the section has no text below its front matter"));
            return None;
        }
        self.refuse_pictures(&file, &text, text.len() - body.len(), body, "");
        Some(Section {
            id,
            order: raw.order,
            texts: BTreeMap::from([(
                settings.default_language.clone(),
                SectionText { title: raw.title.trim().to_string(), markdown: body.to_string() },
            )]),
        })
    }

    fn translation_file(&mut self, name: &str) -> Option<SectionText> {
        let rel = format!("sections/{name}");
        let file = self.dir.join(&rel);
        let text = self.read_text(&rel)?;
        let (fm, body) = self.front_matter(&file, &text)?;
        let raw: RawTranslationFront = self.parse(&file, fm, 2)?;
        if body.trim().is_empty() || raw.title.trim().is_empty() {
            self.errors.push(ContentError::file(&file, "the translation needs a title and a text"));
            return None;
        }
        self.refuse_pictures(&file, &text, text.len() - body.len(), body, "");
        Some(SectionText { title: raw.title.trim().to_string(), markdown: body.to_string() })
    }
}
