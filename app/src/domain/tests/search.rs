//! The catalog's search (`items::list` with `ItemFilter::search`): the same
//! answers on SQLite (FTS5 trigrams) and PostgreSQL (pg_trgm), whatever is typed.

use super::World;
use crate::{
    db::items::ItemFilter,
    domain::{DomainError, items as item_rules},
    types::{AccessItem, CurrentUser},
};

async fn item(w: &World, name: &str, description: &str) -> AccessItem {
    item_rules::create(
        &w.db,
        &w.carol,
        &item_rules::ItemInput {
            kind: "application".into(),
            name: name.into(),
            description: description.into(),
            owner_id: w.bob.id.clone(),
            requestable: true,
            enabled: true,
        },
    )
    .await
    .expect("create item")
}

/// A world with four items whose names and descriptions the tests search.
async fn catalog() -> World {
    let w = World::new().await;
    item(&w, "Payroll Admin", "Runs the payroll").await;
    item(&w, "Admin console", "Payroll reports and settings").await;
    item(
        &w,
        "100% coverage_report",
        r#"Quoted "x", a 'single' and *stars*"#,
    )
    .await;
    item(&w, "Database readers", "Read access to the warehouse").await;
    w
}

async fn search(w: &World, who: &CurrentUser, query: &str) -> Vec<String> {
    let filter = ItemFilter {
        search: Some(query.into()),
        ..Default::default()
    };
    let page = item_rules::list(&w.db, who, filter, None, 50)
        .await
        .expect("search");
    page.rows.into_iter().map(|i| i.name).collect()
}

#[tokio::test]
async fn a_search_finds_prefixes_and_substrings_of_names_and_descriptions_names_first() {
    let w = catalog().await;
    assert_eq!(
        search(&w, &w.alice, "PAY").await,
        ["Payroll Admin", "Admin console"],
        "the name that starts with it first, then the description that holds it"
    );
    assert_eq!(search(&w, &w.alice, "ehous").await, ["Database readers"]);
    assert_eq!(
        search(&w, &w.alice, "admin").await,
        ["Admin console", "Payroll Admin"],
        "a name that starts with it before one that holds it"
    );
    assert_eq!(
        search(&w, &w.alice, "pa").await,
        ["Payroll Admin", "Admin console"],
        "words shorter than the index's trigrams are found too"
    );
    assert!(search(&w, &w.alice, "nothing like it").await.is_empty());
}

#[tokio::test]
async fn every_word_of_a_search_must_be_found_in_any_order() {
    let w = catalog().await;
    assert_eq!(
        search(&w, &w.alice, "roll adm").await,
        ["Payroll Admin", "Admin console"],
        "both words in the name, then one in the name and one in the description"
    );
    assert_eq!(
        search(&w, &w.alice, "settings console").await,
        ["Admin console"]
    );
    assert!(search(&w, &w.alice, "payroll warehouse").await.is_empty());
}

#[tokio::test]
async fn wildcards_quotes_and_operators_are_searched_for_as_typed() {
    let w = catalog().await;
    let quoted = ["100% coverage_report"];
    for query in [
        "%", "_", "0%", "e_r", "\"", "\"x\"", "'single'", "*stars*", "*", "\\",
    ] {
        let found = search(&w, &w.alice, query).await;
        let expected: &[&str] = if query == "\\" { &[] } else { &quoted };
        assert_eq!(found, expected, "search for {query:?}");
    }
    for query in [
        "a_m",
        "p%l",
        "\"payroll",
        "payroll*",
        "NEAR(payroll admin)",
        "- admin",
        "pay OR x",
    ] {
        assert!(
            search(&w, &w.alice, query).await.is_empty(),
            "{query:?} is not a pattern nor an operator"
        );
    }
}

#[tokio::test]
async fn an_empty_search_browses_the_catalog_by_name() {
    let w = catalog().await;
    let all = [
        "100% coverage_report",
        "Admin console",
        "Database readers",
        "Payroll Admin",
    ];
    assert_eq!(search(&w, &w.alice, "").await, all);
    assert_eq!(search(&w, &w.alice, "   ").await, all);
}

#[tokio::test]
async fn a_search_pages_through_its_ranks_without_repeating_or_missing_an_item() {
    let w = catalog().await;
    let filter = ItemFilter {
        search: Some("a".into()),
        ..Default::default()
    };
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = item_rules::list(&w.db, &w.alice, filter.clone(), after.as_deref(), 1)
            .await
            .unwrap();
        seen.extend(page.rows.into_iter().map(|i| i.name));
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(
        seen,
        [
            "Admin console",
            "100% coverage_report",
            "Database readers",
            "Payroll Admin",
        ]
    );
}

#[tokio::test]
async fn an_edited_item_is_found_by_its_new_words_only() {
    let w = catalog().await;
    let found = item_rules::list(&w.db, &w.carol, ItemFilter::default(), None, 50)
        .await
        .unwrap();
    let item = found
        .rows
        .iter()
        .find(|i| i.name == "Database readers")
        .unwrap();
    item_rules::update(
        &w.db,
        (&w.carol, "carol-session"),
        (&item.id, item.version),
        &item_rules::ItemInput {
            kind: "application".into(),
            name: "Data lake readers".into(),
            description: "Read access to the lake".into(),
            owner_id: w.bob.id.clone(),
            requestable: true,
            enabled: true,
        },
        None,
    )
    .await
    .unwrap();
    assert!(search(&w, &w.alice, "warehouse").await.is_empty());
    assert_eq!(search(&w, &w.alice, "lake").await, ["Data lake readers"]);
}

#[tokio::test]
async fn a_search_of_too_many_words_is_refused_with_a_reason() {
    let w = catalog().await;
    let filter = ItemFilter {
        search: Some("a b c d e f g h i j k l m n o p q".into()),
        ..Default::default()
    };
    let refused = item_rules::list(&w.db, &w.alice, filter, None, 10).await;
    assert!(
        matches!(&refused, Err(DomainError::Invalid { message, .. }) if message.contains("16 words")),
        "{refused:?}"
    );
}
