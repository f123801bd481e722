use super::*;
use crate::release::{ChartInfo, Layers};
use crate::storage::memory::MemoryStore;

fn rel(revision: u64, status: Status) -> Release {
    let t: jiff::Timestamp = "2026-12-01T10:00:00Z".parse().unwrap();
    Release {
        name: "web".into(),
        namespace: "shop".into(),
        revision,
        status,
        chart: ChartInfo {
            name: "webapp".into(),
            version: "0.1.0".into(),
            ..ChartInfo::default()
        },
        manifest: String::new(),
        objects: vec![],
        values: serde_json::json!({}),
        layers: Layers::default(),
        notes: None,
        description: format!("{IMPORT_MARK} {revision}: Upgrade complete"),
        first_deployed: t,
        last_deployed: t,
        deleted: None,
        hooks: vec![],
        labels: Default::default(),
    }
}

async fn statuses(store: &MemoryStore) -> Vec<(u64, Status)> {
    let (h, _) = store.history("shop", "web").await.unwrap();
    h.iter().map(|s| (s.revision, s.status)).collect()
}

#[tokio::test]
async fn records_are_written_once_and_an_import_can_run_again() {
    let store = MemoryStore::new();
    let releases = vec![rel(1, Status::Superseded), rel(2, Status::Deployed)];
    assert_eq!(write_records(&store, &releases, &[]).await.unwrap(), 2);
    assert_eq!(
        statuses(&store).await,
        [(1, Status::Superseded), (2, Status::Deployed)]
    );
    // a second import of the same history: recognised, nothing to write
    let (existing, _) = store.history("shop", "web").await.unwrap();
    assert!(check_existing(&existing, &releases, "shop", "web").unwrap());
    assert_eq!(
        write_records(&store, &releases, &existing).await.unwrap(),
        0
    );
    // Helm went on meanwhile: the new revision is created and the old one's status corrected
    let later = vec![
        rel(1, Status::Superseded),
        rel(2, Status::Superseded),
        rel(3, Status::Deployed),
    ];
    assert_eq!(write_records(&store, &later, &existing).await.unwrap(), 2);
    assert_eq!(
        statuses(&store).await,
        [
            (1, Status::Superseded),
            (2, Status::Superseded),
            (3, Status::Deployed)
        ]
    );
}

#[tokio::test]
async fn a_failed_write_deletes_the_records_written_before_it() {
    let store = MemoryStore::new();
    // someone else wrote revision 3 after the history was read
    store.create(&rel(3, Status::Deployed)).await.unwrap();
    let releases = vec![
        rel(1, Status::Superseded),
        rel(2, Status::Superseded),
        rel(3, Status::Deployed),
    ];
    let err = write_records(&store, &releases, &[])
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("revision 3") && err.contains("the 2 record(s) written before were deleted"),
        "{err}"
    );
    assert_eq!(statuses(&store).await, [(3, Status::Deployed)]);
}

#[test]
fn a_tack_release_that_is_not_an_import_is_refused() {
    let releases = vec![rel(1, Status::Deployed)];
    let mut own = rel(1, Status::Deployed).summary();
    own.description = "install complete".into();
    let err = check_existing(&[own], &releases, "shop", "web")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("already exists") && err.contains("not an earlier import"),
        "{err}"
    );
    // tack revisions past Helm's (an upgrade after the import) are not an import either
    let later = rel(2, Status::Deployed).summary();
    assert!(check_existing(&[later], &releases, "shop", "web").is_err());
    assert!(!check_existing(&[], &releases, "shop", "web").unwrap());
}
