//! The signed access log: verifying a 10,000-entry log (hash chain, one Ed25519 signature per
//! entry, checkpoints), and appending one signed entry.

#![allow(clippy::expect_used)]

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use sightline::access::log::{self, NewEntry, Signer, Trust};
use sightline::access::{Action, Keychain, Outcome};
use sightline::dataset::authority::AUTHORITY_SIGNER;
use sightline::dataset::{Dataset, Tier, db};
use sightline::device::Device;

const ENTRIES: usize = 10_000;

fn log_verify(c: &mut Criterion) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let device = Device::new(tmp.path().join("state"), Keychain::unavailable("benchmark"));
    let path = tmp.path().join("log.sightline");
    let (_, recovery) = Dataset::create(
        &path,
        "Log bench",
        "bench-lead",
        "bench-password-1",
        &device,
    )
    .expect("create");
    let dataset = Dataset::open(&path).expect("open");
    let header = dataset.header();
    let id = header.dataset_id.clone();
    let keys = header.recovery.unlock(&id, &recovery).expect("keys");
    let authority = header
        .recovery
        .open_authority(&id, &recovery)
        .expect("authority");
    let core = db::open(
        &header.db_path(&path, Tier::Core),
        Tier::Core,
        keys.get(Tier::Core).expect("core key"),
        false,
    )
    .expect("core");
    let signer = Signer {
        name: AUTHORITY_SIGNER,
        key: &authority,
    };
    let entry = NewEntry {
        time_ms: sightline::clock::now_ms(),
        user: "bench-lead",
        role: "compliance-lead",
        action: Action::ListPages,
        object: "pages",
        purpose: "",
        outcome: Outcome::Allowed,
    };
    core.execute_batch("BEGIN").expect("begin");
    for _ in 0..ENTRIES {
        log::append_in_transaction(&core, &id, &entry, Some(signer)).expect("append");
    }
    core.execute_batch("COMMIT").expect("commit");
    log::checkpoint(&core, &id, &authority, sightline::clock::now_ms()).expect("checkpoint");
    let block = header.authority.as_ref().expect("format 2");
    let trust = Some(Trust { block });
    let report = log::verify(&core, &id, None, trust, sightline::clock::now_ms()).expect("verify");
    assert!(report.problem.is_none(), "{:?}", report.problem);

    let mut group = c.benchmark_group("access_log");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("verify_10k_signed_entries", |b| {
        b.iter(|| {
            log::verify(&core, &id, None, trust, sightline::clock::now_ms()).expect("verify")
        });
    });
    group.sample_size(50);
    group.bench_function("append_one_signed_entry", |b| {
        b.iter(|| log::append(&core, &id, &entry, Some(signer)).expect("append"));
    });
    group.finish();
}

criterion_group!(benches, log_verify);
criterion_main!(benches);
