//! One recording's way in: whose it is, its consent (counted when it is the session's own
//! decision), bots and erased subjects left out, then stored with its attributes.

use rusqlite::Connection;

use super::{Batch, Context, ImportReport, Purposes, looks_automated, manifest, rrweb, store};
use crate::error::Result;
use crate::privacy::pii;
use crate::privacy::pseudonym::pseudonym;
use store::SessionRecord;

/// Consent from the subject's consent records, if there are any.
fn recorded_consent(rec: &Connection, subject: &str) -> Result<Option<Purposes>> {
    let mut stmt = rec
        .prepare_cached("SELECT purpose, granted FROM consent WHERE subject = ?1")
        .map_err(|e| crate::dataset::db::sql_error("recordings.db", e))?;
    let rows: Vec<(String, bool)> = stmt
        .query_map([subject], |r| Ok((r.get(0)?, r.get(1)?)))
        .and_then(Iterator::collect)
        .map_err(|e| crate::dataset::db::sql_error("recordings.db", e))?;
    if rows.is_empty() {
        return Ok(None);
    }
    let granted = |p: &str| rows.iter().any(|(purpose, g)| purpose == p && *g);
    Ok(Some(Purposes {
        heatmaps: granted("heatmaps"),
        recordings: granted("recordings"),
    }))
}

fn survey_score(rec: &Connection, session_key: &str, subject: &str) -> Result<Option<i64>> {
    use rusqlite::OptionalExtension;
    let score = (|| {
        rec.prepare_cached(
            "SELECT score FROM surveys WHERE session_key = ?1 OR (session_key = '' AND subject = ?2)
             ORDER BY session_key = ?1 DESC, id DESC LIMIT 1",
        )?
        .query_row([session_key, subject], |r| r.get(0))
        .optional()
    })();
    score.map_err(|e| crate::dataset::db::sql_error("recordings.db", e))
}

pub(super) fn import_session(
    ctx: &Context<'_>,
    batch: &mut Batch,
    source_id: &str,
    converted: &rrweb::Converted,
    header: Option<(&manifest::ManifestRow, Option<Purposes>)>,
    report: &mut ImportReport,
) -> Result<()> {
    report.counts.add(&converted.counts);
    let listed = ctx.options.manifest.as_ref().and_then(|m| m.get(source_id));
    let row = listed.or(header.map(|(h, _)| h));
    // A named subject in its normal form (one person whatever the case or width); a recording
    // without one is its own subject.
    let subject = match row.and_then(|r| r.subject.as_deref()) {
        Some(named) => crate::privacy::pseudonym::subject_pseudonym(&ctx.key, named),
        None => pseudonym(&ctx.key, &format!("recording:{source_id}")),
    };
    // Re-imports first: a session already counted is neither stored nor counted again.
    let source_key = pseudonym(&ctx.key, &format!("source:{source_id}"));
    if store::already_imported(ctx.rec, &source_key)? {
        report.drop_session("already imported");
        return Ok(());
    }
    // The session's own decision (its manifest row or its header) is a consent decision of
    // its own and counts in the opt-in rates; one looked up from a consent record is that
    // record's (counted with the records), and assumed consent is nobody's decision.
    let own = match listed {
        Some(row) => Some(Purposes {
            heatmaps: row.consent_heatmaps,
            recordings: row.consent_recordings,
        }),
        None => header.and_then(|(_, c)| c),
    };
    let consent = match own {
        Some(p) => Some(p),
        None => recorded_consent(ctx.rec, &subject)?
            .or_else(|| ctx.options.assume_consent.as_ref().map(|(p, _)| *p)),
    };
    let Some(consent) = consent else {
        report.drop_session("no consent record");
        return Ok(());
    };
    let clean = |v: Option<&String>, default: &str| {
        v.map(|s| pii::redact(s.trim()).0.chars().take(64).collect::<String>())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| default.to_owned())
    };
    let started_at_ms = row
        .and_then(|r| r.started_at_ms())
        .unwrap_or(converted.started_at_ms);
    let region = clean(row.and_then(|r| r.region.as_ref()), "unknown");
    // Neither a bot's nor an erased subject's decision is counted: nothing of them is kept.
    if let Some(reason) = looks_automated(converted) {
        report.drop_session(reason);
        return Ok(());
    }
    if store::is_suppressed(ctx.rec, &ctx.key, &subject)? {
        report.drop_session("subject erased earlier");
        return Ok(());
    }
    if let Some(own) = own {
        batch.begin(ctx)?;
        let day = crate::clock::day(started_at_ms);
        store::count_consent(
            ctx.core,
            ctx.rec,
            &source_key,
            &day,
            &region,
            (own.heatmaps, own.recordings),
        )?;
    }
    if !consent.heatmaps && !consent.recordings {
        report.drop_session("consent refused");
        return Ok(());
    }
    // A warehouse grid already counts this page and day: the session's points would be
    // counted twice. Its replay is still kept when consented. Asked for every session, not
    // once per import: a grid may be stored (by another window or process) while it runs.
    let in_grid = consent.heatmaps
        && crate::grid::store::any(ctx.core)?
        && crate::grid::store::covers(
            ctx.core,
            &converted.pages,
            &crate::clock::day(started_at_ms),
        )?;
    let consent = Purposes {
        heatmaps: consent.heatmaps && !in_grid,
        ..consent
    };
    if in_grid {
        report.drop_session("heatmap points already in a warehouse grid");
        if !consent.recordings {
            return Ok(());
        }
    }
    let record = SessionRecord {
        converted,
        signals: crate::insights::signals::of_session(&converted.events),
        session_id: format!(
            "ses_{}",
            &pseudonym(&ctx.key, &format!("session:{source_id}"))[2..18]
        ),
        survey_score: survey_score(ctx.rec, &source_key, &subject)?,
        source_key,
        subject_group: crate::privacy::pseudonym::subject_group(&ctx.key, &subject),
        subject,
        started_at_ms,
        region,
        variant: clean(row.and_then(|r| r.variant.as_ref()), ""),
        cohort: clean(row.and_then(|r| r.cohort.as_ref()), ""),
        heatmaps: consent.heatmaps,
        recordings: consent.recordings,
    };
    batch.begin(ctx)?;
    let heatmap_ref = store::store(ctx.core, ctx.rec, &record, &mut batch.points)?;
    if let Some(r) = heatmap_ref {
        batch.confirm.push(r);
    }
    store::record_latency(
        ctx.core,
        ctx.now_ms,
        ctx.now_ms
            .saturating_sub(started_at_ms.saturating_add(converted.duration_ms)),
    )?;
    batch.sessions += 1;
    if consent.recordings {
        report.replays_stored += 1;
        if let Some(track) = &converted.page {
            report.pages_stored += 1;
            if let Some(r) = heatmap_ref {
                batch
                    .backgrounds
                    .offer(ctx.core, &converted.events, track, r)?;
            }
        }
    } else {
        report.drop_session("no recording consent (points kept)");
    }
    if consent.heatmaps {
        report.heatmap_sessions += 1;
    }
    Ok(())
}
