//! Anonymous counts for the staff panel's charts: how often each section was
//! opened, per day. Nothing about who opened it is kept.

use std::path::Path;

use rusqlite::{Connection, params};

/// One day of a chart.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct DayCount {
    /// `YYYY-MM-DD`.
    pub day: String,
    /// The count.
    pub count: u64,
}

/// Section views per day, in `<data_dir>/stats.sqlite`.
pub struct ViewStats {
    conn: Connection,
}

impl ViewStats {
    /// Opens (creating) the counts.
    ///
    /// Every section a visitor opens is a write, thousands a day for weeks. In
    /// WAL mode SQLite checkpoints every 1 000 pages and then reuses the log at
    /// its largest; a soak saw it grow 75 KiB a minute toward that. So the log
    /// is checkpointed every 64 pages and cut back to 256 KiB after each, and a
    /// count is not worth a flush of the disk (`synchronous = NORMAL`: a power
    /// cut may lose the last few views, never the file).
    pub fn open(data_dir: &Path) -> rusqlite::Result<ViewStats> {
        let conn = Connection::open(data_dir.join("stats.sqlite"))?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             PRAGMA wal_autocheckpoint = 64;
             PRAGMA journal_size_limit = 262144;
             CREATE TABLE IF NOT EXISTS section_views (
                 day TEXT NOT NULL, section TEXT NOT NULL, views INTEGER NOT NULL,
                 PRIMARY KEY (day, section)) WITHOUT ROWID;",
        )?;
        Ok(ViewStats { conn })
    }

    /// Counts one view of `section` on `day` (`YYYY-MM-DD`).
    pub fn record(&self, day: &str, section: &str) -> rusqlite::Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO section_views (day, section, views) VALUES (?1, ?2, 1)
                 ON CONFLICT (day, section) DO UPDATE SET views = views + 1",
            )?
            .execute(params![day, section])?;
        Ok(())
    }

    /// Views of all sections per day from `since` on (days without views are absent).
    pub fn daily(&self, since: &str) -> rusqlite::Result<Vec<DayCount>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT day, sum(views) FROM section_views WHERE day >= ?1 GROUP BY day ORDER BY day")?;
        let rows = stmt.query_map([since], |r| Ok(DayCount { day: r.get(0)?, count: r.get::<_, i64>(1)? as u64 }))?;
        rows.collect()
    }

    /// Views per section from `since` on, most viewed first.
    pub fn by_section(&self, since: &str) -> rusqlite::Result<Vec<(String, u64)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT section, sum(views) AS n FROM section_views WHERE day >= ?1 GROUP BY section ORDER BY n DESC, section",
        )?;
        let rows = stmt.query_map([since], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?;
        rows.collect()
    }
}

/// The `n` days ending with `today`, oldest first, each with its count from
/// `counts` (0 where absent): a chart with no gaps.
pub fn last_days(today: jiff::civil::Date, n: u16, counts: &[DayCount]) -> Vec<DayCount> {
    (0..i64::from(n))
        .rev()
        .filter_map(|back| today.checked_sub(jiff::Span::new().days(back)).ok())
        .map(|d| {
            let day = d.to_string();
            let count = counts.iter().find(|c| c.day == day).map_or(0, |c| c.count);
            DayCount { day, count }
        })
        .collect()
}

/// The first day of a chart of `n` days ending with `today`.
pub fn first_day(today: jiff::civil::Date, n: u16) -> String {
    today.checked_sub(jiff::Span::new().days(i64::from(n.max(1)) - 1)).unwrap_or(today).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str, count: u64) -> DayCount {
        DayCount { day: s.into(), count }
    }

    #[test]
    fn weeks_of_views_keep_the_write_ahead_log_small() {
        let dir = tempfile::tempdir().unwrap();
        let stats = ViewStats::open(dir.path()).unwrap();
        let wal = dir.path().join("stats.sqlite-wal");
        let mut largest = 0;
        for i in 0..3_000 {
            stats.record(&format!("2026-11-{:02}", 1 + i % 28), ["history", "culture", "visa"][i % 3]).unwrap();
            largest = largest.max(std::fs::metadata(&wal).map_or(0, |m| m.len()));
        }
        // Each view is a commit of a page or two: left to SQLite's defaults the
        // log grows to about 4 MiB before it is reused.
        assert!(largest <= 512 * 1024, "the log grew to {} KiB", largest / 1024);
        assert_eq!(stats.by_section("2026-11-01").unwrap()[0].1, 1_000, "every view was counted");
    }

    #[test]
    fn views_are_counted_per_day_and_section_and_charts_have_no_gaps() {
        let dir = tempfile::tempdir().unwrap();
        let stats = ViewStats::open(dir.path()).unwrap();
        for (d, s) in [
            ("2026-11-01", "history"),
            ("2026-11-27", "history"),
            ("2026-11-27", "culture"),
            ("2026-11-27", "history"),
            ("2026-11-28", "visa"),
        ] {
            stats.record(d, s).unwrap();
        }
        let today: jiff::civil::Date = "2026-11-28".parse().unwrap();
        let since = first_day(today, 3);
        assert_eq!(since, "2026-11-26");
        let daily = stats.daily(&since).unwrap();
        assert_eq!(daily, vec![day("2026-11-27", 3), day("2026-11-28", 1)]);
        assert_eq!(last_days(today, 3, &daily), vec![day("2026-11-26", 0), day("2026-11-27", 3), day("2026-11-28", 1)]);
        assert_eq!(
            stats.by_section(&since).unwrap(),
            vec![("history".to_string(), 2), ("culture".to_string(), 1), ("visa".to_string(), 1)]
        );
        // Reopened, the counts are still there.
        drop(stats);
        assert_eq!(ViewStats::open(dir.path()).unwrap().daily("2026-11-01").unwrap().len(), 3);
    }

    #[test]
    fn thirty_days_across_a_month_end() {
        let days = last_days("2026-03-01".parse().unwrap(), 30, &[day("2026-02-28", 7)]);
        assert_eq!(days.len(), 30);
        assert_eq!(days[0].day, "2026-01-31");
        assert_eq!(days[28], day("2026-02-28", 7));
        assert_eq!(days[29], day("2026-03-01", 0));
        assert_eq!(first_day("2026-03-01".parse().unwrap(), 30), "2026-01-31");
    }
}
