//! The chart's layout (bars, panels, labels, shaped Khmer) and the PNG it becomes.

use super::*;
use crate::render::fonts::engine;

const NO_PAYMENTS: &str = "No payments received.";

fn hours() -> Vec<String> {
    (0..24).map(|h| format!("{h:02}")).collect()
}

fn slots<'a>(labels: &'a [String], sublabels: &'a [String]) -> Vec<ChartSlot<'a>> {
    labels
        .iter()
        .enumerate()
        .map(|(i, label)| ChartSlot {
            label,
            sublabel: sublabels.get(i).map_or("", String::as_str),
            upcoming: false,
        })
        .collect()
}

fn texts(layout: &Layout) -> Vec<String> {
    layout.texts.iter().map(|p| p.block.text()).collect()
}

fn decoded(png: &[u8]) -> RgbImage {
    image::load_from_memory(png).expect("a PNG").to_rgb8()
}

/// With `CHART_DUMP_DIR` set, writes the PNG there to be looked at.
fn dump(name: &str, png: &[u8]) {
    if let Some(dir) = std::env::var_os("CHART_DUMP_DIR") {
        std::fs::write(std::path::Path::new(&dir).join(name), png).unwrap();
    }
}

fn colour_at(img: &RgbImage, (x, y): (f32, f32)) -> Color {
    let p = img.get_pixel(x as u32, y as u32).0;
    Color(p[0], p[1], p[2])
}

#[test]
fn an_empty_period_is_a_titled_card_with_the_empty_text_and_no_bars() {
    let labels = hours();
    let slots = slots(&labels, &[]);
    let zeros = vec![0; 24];
    for series in [
        &[][..],
        &[ChartSeries {
            currency: Currency::Usd,
            heading: "USD: 0 paid · $0.00",
            minor: &zeros,
        }][..],
    ] {
        let spec = ChartSpec {
            title: "Sokha Coffee",
            subtitle: "Today, 2026-12-01 · per hour",
            slots: &slots,
            series,
            empty_text: NO_PAYMENTS,
        };
        let layout = lay_out(&mut engine(), &spec);
        assert!(layout.bars.is_empty());
        assert!(layout.plots.is_empty());
        assert_eq!(
            texts(&layout),
            vec!["Sokha Coffee", "Today, 2026-12-01 · per hour", NO_PAYMENTS]
        );
        let png = chart_png(&spec).unwrap();
        dump("chart-empty.png", &png);
        assert_eq!(decoded(&png).dimensions(), (720, layout.height));
    }
    // Not even slots: still a card.
    let spec = ChartSpec {
        title: "Sokha Coffee",
        subtitle: "",
        slots: &[],
        series: &[],
        empty_text: NO_PAYMENTS,
    };
    assert_eq!(decoded(&chart_png(&spec).unwrap()).width(), 720);
}

#[test]
fn one_day_by_hour_in_two_currencies_gets_two_panels_with_their_own_axes() {
    let labels = hours();
    let slots = slots(&labels, &[]);
    let mut usd = vec![0; 24];
    usd[0] = 500; // 00:00–00:59
    usd[9] = 1_000;
    usd[23] = 250;
    let mut khr = vec![0; 24];
    khr[12] = 40_000;
    khr[13] = 100;
    let spec = ChartSpec {
        title: "Sokha Coffee",
        subtitle: "Today, 2026-12-01 · per hour",
        slots: &slots,
        series: &[
            ChartSeries {
                currency: Currency::Usd,
                heading: "USD: 3 paid · $17.50",
                minor: &usd,
            },
            ChartSeries {
                currency: Currency::Khr,
                heading: "KHR: 2 paid · 40,100 ៛",
                minor: &khr,
            },
        ],
        empty_text: NO_PAYMENTS,
    };
    let layout = lay_out(&mut engine(), &spec);
    assert_eq!(layout.plots.len(), 2);
    // Bars only where money came in, each in its own slot and panel.
    let at: Vec<(usize, usize)> = layout.bars.iter().map(|b| (b.panel, b.slot)).collect();
    assert_eq!(at, vec![(0, 0), (0, 9), (0, 23), (1, 12), (1, 13)]);
    let height = |b: &Bar| b.rect.3 - b.rect.1;
    // USD axis: $0.00 to $10.00 in steps of $5.00.
    assert!((height(&layout.bars[1]) - PLOT_H).abs() < 0.01);
    assert!((height(&layout.bars[0]) - PLOT_H / 2.0).abs() < 0.01);
    assert!((height(&layout.bars[2]) - PLOT_H / 4.0).abs() < 0.01);
    // KHR has its own axis, 0 to 40,000 ៛ in steps of 10,000 ៛: 100 ៛ is tiny but visible.
    assert!((height(&layout.bars[3]) - PLOT_H).abs() < 0.01);
    assert_eq!(height(&layout.bars[4]), 3.0);
    // The KHR panel lies below the USD one, its plot on the same left edge although its
    // tick labels are wider (an hour's bars line up across the panels).
    assert!(layout.plots[1].1 > layout.plots[0].3);
    assert_eq!(layout.plots[0].0, layout.plots[1].0);
    assert_eq!(layout.plots[0].2, layout.plots[1].2);
    // Money on the axes, formatted like the cards.
    let all = texts(&layout);
    for tick in ["$0.00", "$5.00", "$10.00", "0 ៛", "10,000 ៛", "40,000 ៛"] {
        assert!(all.iter().any(|t| t == tick), "{tick} not in {all:?}");
    }
    assert!(!all.iter().any(|t| t == "$15.00"), "{all:?}");
    // Slots are at the right x: hour 0 leftmost, 23 rightmost, none outside the plot.
    for bar in &layout.bars {
        let (l, _, r, base) = layout.plots[bar.panel];
        assert!(bar.rect.0 >= l && bar.rect.2 <= r, "{bar:?}");
        assert_eq!(bar.rect.3, base);
    }
    assert!(layout.bars[0].rect.0 < layout.bars[1].rect.0);

    // The PNG: bars in their currency's colour, and within Telegram's photo limits.
    let png = chart_png(&spec).unwrap();
    dump("chart-hours.png", &png);
    let img = decoded(&png);
    assert_eq!(img.dimensions(), (720, layout.height));
    assert!(img.width() + img.height() <= 10_000 && img.height() < 20 * img.width());
    let centre = |b: &Bar| ((b.rect.0 + b.rect.2) / 2.0, (b.rect.1 + b.rect.3) / 2.0);
    assert_eq!(colour_at(&img, centre(&layout.bars[1])), GREEN);
    assert_eq!(colour_at(&img, centre(&layout.bars[3])), KHR_BLUE);
}

#[test]
fn a_31_day_month_gets_31_slots_with_thinned_day_labels() {
    let labels: Vec<String> = (1..=31).map(|d| d.to_string()).collect();
    let slots = slots(&labels, &[]);
    let usd: Vec<u64> = (1..=31).map(|d| d * 100).collect();
    let spec = ChartSpec {
        title: "Sokha Coffee",
        subtitle: "This month, 2026-01-01 – 2026-01-31 · per day",
        slots: &slots,
        series: &[ChartSeries {
            currency: Currency::Usd,
            heading: "USD: 31 paid · $496.00",
            minor: &usd,
        }],
        empty_text: NO_PAYMENTS,
    };
    let layout = lay_out(&mut engine(), &spec);
    assert_eq!(layout.bars.len(), 31);
    // Bars do not touch, and grow day by day.
    for pair in layout.bars.windows(2) {
        assert!(pair[0].rect.2 < pair[1].rect.0, "{pair:?}");
        assert!(pair[0].rect.1 > pair[1].rect.1, "{pair:?}");
    }
    // Day labels: the 1st, then every n-th, never two closer than their own width.
    let (l, _, r, base) = layout.plots[0];
    let day_labels: Vec<&Placed> = layout
        .texts
        .iter()
        .filter(|p| p.y > base && labels.contains(&p.block.text()))
        .collect();
    let shown: Vec<String> = day_labels.iter().map(|p| p.block.text()).collect();
    assert_eq!(shown.first().map(String::as_str), Some("1"), "{shown:?}");
    assert!(shown.len() >= 8 && shown.len() < 31, "{shown:?}");
    let slot_w = (r - l) / 31.0;
    for pair in day_labels.windows(2) {
        let gap = pair[1].x - pair[0].x;
        assert!(gap > pair[0].block.width + 4.0, "labels overlap: {shown:?}");
        assert!((gap / slot_w - (gap / slot_w).round()).abs() < 0.01);
    }
    let png = chart_png(&spec).unwrap();
    dump("chart-month.png", &png);
    assert_eq!(decoded(&png).height(), layout.height);
}

/// Khmer goes through the cards' text stack: every glyph found in the right face, and
/// clusters shaped (a coeng subscript reordered before its base, vowel signs combined),
/// not mapped character by character.
#[test]
fn khmer_labels_are_shaped_in_the_khmer_face() {
    let labels: Vec<String> = (1..=7).map(|d| d.to_string()).collect();
    let weekdays: Vec<String> = ["ចន្ទ", "អង្គារ", "ពុធ", "ព្រហស្បតិ៍", "សុក្រ", "សៅរ៍", "អាទិត្យ"]
        .map(String::from)
        .to_vec();
    let slots = slots(&labels, &weekdays);
    let khr = [12_000, 0, 40_000, 8_000, 0, 0, 100];
    let spec = ChartSpec {
        title: "ហាងកាហ្វេស្រីមុំ",
        subtitle: "សប្តាហ៍នេះ 2026-11-30 – 2026-12-06 · តាមថ្ងៃ",
        slots: &slots,
        series: &[ChartSeries {
            currency: Currency::Khr,
            heading: "KHR៖ បានទូទាត់ 4 · 60,100 ៛",
            minor: &khr,
        }],
        empty_text: "មិនទាន់មានការទូទាត់ទេ។",
    };
    let mut engine = engine();
    let layout = lay_out(&mut engine, &spec);
    let is_khmer = |c: char| ('\u{1780}'..='\u{17FF}').contains(&c);
    let mut seen = Vec::new();
    for placed in &layout.texts {
        let text = placed.block.text();
        let glyphs = placed.block.shaped_glyphs(&engine);
        assert!(!glyphs.is_empty(), "{text}");
        assert!(
            glyphs.iter().all(|(id, ..)| *id != 0),
            "notdef in {text}: {glyphs:?}"
        );
        for (_, family, start) in &glyphs {
            let c = text[*start..].chars().next().unwrap_or(' ');
            if is_khmer(c) {
                assert_eq!(family, "Noto Sans Khmer", "{text}: {glyphs:?}");
            }
        }
        seen.push(text);
    }
    // Every weekday is drawn (7 wide slots: no thinning), with the title and riel ticks.
    for expected in weekdays
        .iter()
        .chain(&["ហាងកាហ្វេស្រីមុំ".to_owned(), "40,000 ៛".to_owned()])
    {
        assert!(seen.contains(expected), "{expected} not in {seen:?}");
    }

    // Thursday: ព្រហស្បតិ៍ is 10 characters; the coeng RO becomes one subscript glyph
    // drawn before its base, and the glyphs are fewer than the characters.
    let thursday = layout
        .texts
        .iter()
        .find(|p| p.block.text() == "ព្រហស្បតិ៍")
        .expect("Thursday's label");
    let glyphs = thursday.block.shaped_glyphs(&engine);
    assert!(glyphs.len() < "ព្រហស្បតិ៍".chars().count(), "{glyphs:?}");
    let po = TextBlock::layout(
        &mut engine,
        "ព",
        TextStyle::new(LABEL_SIZE, true, INK, true, 1),
        100.0,
    )
    .shaped_glyphs(&engine)[0]
        .0;
    assert_ne!(
        glyphs[0].0, po,
        "the subscript RO should be drawn first: {glyphs:?}"
    );
    assert_eq!(glyphs[1].0, po, "{glyphs:?}");
    drop(engine);

    let png = chart_png(&spec).unwrap();
    dump("chart-khmer.png", &png);
    assert_eq!(decoded(&png).dimensions(), (720, layout.height));
}

#[test]
fn a_series_must_have_one_value_per_slot() {
    let labels = hours();
    let slots = slots(&labels, &[]);
    let spec = ChartSpec {
        title: "Sokha Coffee",
        subtitle: "",
        slots: &slots,
        series: &[ChartSeries {
            currency: Currency::Usd,
            heading: "USD",
            minor: &[1, 2, 3],
        }],
        empty_text: NO_PAYMENTS,
    };
    assert!(matches!(
        chart_png(&spec),
        Err(RenderError::ChartShape {
            slots: 24,
            values: 3
        })
    ));
}
