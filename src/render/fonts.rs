//! The embedded fonts and the process-wide text engine.
//!
//! Noto Sans Khmer has no Latin letters or digits, so Noto Sans is bundled too; cosmic-text
//! falls back between them per run. Only these four faces are loaded (never system fonts), so
//! a card looks the same on every machine. Licence: `assets/fonts/OFL.txt`.

use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use cosmic_text::{FontSystem, SwashCache, fontdb};

/// Family name of the Latin face (and the default family of every text run).
pub(crate) const LATIN_FAMILY: &str = "Noto Sans";

static FONT_FILES: [&[u8]; 4] = [
    include_bytes!("../../assets/fonts/NotoSans-Regular.ttf"),
    include_bytes!("../../assets/fonts/NotoSans-Bold.ttf"),
    include_bytes!("../../assets/fonts/NotoSansKhmer-Regular.ttf"),
    include_bytes!("../../assets/fonts/NotoSansKhmer-Bold.ttf"),
];

/// Shaping state plus the glyph rasterisation cache.
pub(crate) struct TextEngine {
    pub(crate) fonts: FontSystem,
    pub(crate) glyphs: SwashCache,
}

static ENGINE: OnceLock<Mutex<TextEngine>> = OnceLock::new();

/// Locks the process-wide text engine, building it on first use.
///
/// A panic while the lock was held leaves only caches behind, which stay valid, so a
/// poisoned lock is recovered rather than propagated.
pub(crate) fn engine() -> MutexGuard<'static, TextEngine> {
    ENGINE
        .get_or_init(|| Mutex::new(build_engine()))
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Parses the embedded fonts now instead of during the first render.
pub fn warm_up() {
    drop(engine());
}

fn build_engine() -> TextEngine {
    let mut db = fontdb::Database::new();
    for bytes in FONT_FILES {
        db.load_font_source(fontdb::Source::Binary(Arc::new(bytes)));
    }
    db.set_sans_serif_family(LATIN_FAMILY);
    tracing::debug!(faces = db.len(), "render fonts loaded");
    TextEngine {
        // The locale only steers fallback order between the faces loaded above.
        fonts: FontSystem::new_with_locale_and_db("en-US".to_owned(), db),
        glyphs: SwashCache::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_four_faces_load() {
        let engine = engine();
        let db = engine.fonts.db();
        assert_eq!(db.len(), 4);
        let families: Vec<&str> = db
            .faces()
            .filter_map(|f| f.families.first().map(|(n, _)| n.as_str()))
            .collect();
        assert_eq!(families.iter().filter(|n| **n == "Noto Sans").count(), 2);
        assert_eq!(
            families.iter().filter(|n| **n == "Noto Sans Khmer").count(),
            2
        );
    }
}
