//! Where a person stands with access items: which they hold, and which they
//! wait for (a pending grant request of theirs). One query for a whole page of
//! the catalog.

use sqlx::{Any, Executor};

use super::DbError;

/// Where `user_id` stands with one item.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Standing {
    pub held: bool,
    pub pending: bool,
}

/// The standing of `user_id` with each of `item_ids`, in the same order.
pub async fn of_items<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    user_id: &str,
    item_ids: &[&str],
) -> Result<Vec<Standing>, DbError> {
    if item_ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = (0..item_ids.len()).map(|i| format!("${}", i + 2)).collect();
    let ids = ids.join(", ");
    let sql = format!(
        "SELECT item_id, 'held' FROM assignments WHERE user_id = $1 AND item_id IN ({ids}) \
         UNION ALL \
         SELECT item_id, 'pending' FROM access_requests WHERE beneficiary_id = $1 \
         AND status = 'pending' AND kind = 'grant' AND item_id IN ({ids})"
    );
    let mut query = sqlx::query_as::<_, (String, String)>(&sql).bind(user_id);
    for id in item_ids {
        query = query.bind(*id);
    }
    let rows = query.fetch_all(ex).await?;
    Ok(item_ids
        .iter()
        .map(|id| {
            let has = |what: &str| rows.iter().any(|(item, w)| item == id && w == what);
            Standing {
                held: has("held"),
                pending: has("pending"),
            }
        })
        .collect())
}
