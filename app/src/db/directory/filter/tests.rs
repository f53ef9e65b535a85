use super::*;

fn sql(filter: &str, resource: Resource) -> Where {
    let parsed: Filter = filter.parse().expect("a filter the grammar takes");
    translate(Some(&parsed), resource).expect("a filter we run")
}

fn text(s: &str) -> Bind {
    Bind::Text(s.into())
}

#[test]
fn user_name_is_compared_without_case_through_its_key() {
    let w = sql(r#"userName eq "Bjensen@Example.com""#, Resource::Users);
    assert_eq!(
        w.sql,
        "(u.user_name_key IS NOT NULL AND u.user_name_key = $1)"
    );
    assert_eq!(w.binds, vec![text("bjensen@example.com")]);
}

#[test]
fn external_id_is_exact_and_attribute_names_are_not() {
    let w = sql(r#"EXTERNALID eq "00u1ABC""#, Resource::Users);
    assert_eq!(w.sql, "(u.external_id IS NOT NULL AND u.external_id = $1)");
    assert_eq!(w.binds, vec![text("00u1ABC")]);
}

#[test]
fn contains_and_starts_with_bind_an_escaped_pattern() {
    let w = sql(
        r#"displayName co "50%_off\\" or userName sw "a""#,
        Resource::Users,
    );
    assert_eq!(
        w.sql,
        "((LOWER(u.name) IS NOT NULL AND LOWER(u.name) LIKE $1 ESCAPE '\\')) OR \
         ((u.user_name_key IS NOT NULL AND u.user_name_key LIKE $2 ESCAPE '\\'))"
    );
    assert_eq!(w.binds, vec![text("%50\\%\\_off\\\\%"), text("a%")]);
}

#[test]
fn input_never_reaches_the_sql_text() {
    let w = sql(
        r#"userName eq "x' OR '1'='1" and not (externalId pr)"#,
        Resource::Users,
    );
    assert!(!w.sql.contains("OR '1'"), "{}", w.sql);
    assert_eq!(
        w.sql,
        "((u.user_name_key IS NOT NULL AND u.user_name_key = $1)) AND \
         (NOT ((u.external_id IS NOT NULL AND u.external_id <> '')))"
    );
}

#[test]
fn work_emails_are_the_one_email_kept() {
    let a = sql(
        r#"emails[type eq "work" and value eq "A@x.org"]"#,
        Resource::Users,
    );
    assert_eq!(
        a.sql,
        "(1 = 1) AND ((LOWER(u.email) IS NOT NULL AND LOWER(u.email) = $1))"
    );
    assert_eq!(a.binds, vec![text("a@x.org")]);
    let b = sql(r#"emails.value eq "a@x.org""#, Resource::Users);
    assert_eq!(
        b.sql,
        "(LOWER(u.email) IS NOT NULL AND LOWER(u.email) = $1)"
    );
    let home = sql(r#"emails[type eq "home"]"#, Resource::Users);
    assert_eq!(home.sql, "1 = 0");
}

#[test]
fn active_and_the_enterprise_extension() {
    assert_eq!(
        sql("active eq false", Resource::Users).sql,
        "u.disabled_at IS NOT NULL"
    );
    let w = sql(
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "m1""#,
        Resource::Users,
    );
    assert_eq!(w.sql, "(u.manager_id IS NOT NULL AND u.manager_id = $1)");
}

#[test]
fn group_membership_is_an_indexed_exists() {
    let w = sql(r#"id eq "g1" and members.value eq "u1""#, Resource::Groups);
    assert_eq!(
        w.sql,
        "((g.id IS NOT NULL AND g.id = $1)) AND (EXISTS (SELECT 1 FROM group_members m \
         WHERE m.group_id = g.id AND m.user_id = $2))"
    );
    assert_eq!(w.binds, vec![text("g1"), text("u1")]);
}

#[test]
fn unknown_attributes_and_operators_are_refused() {
    for (filter, resource) in [
        (r#"shoeSize eq "9""#, Resource::Users),
        (r#"members.value eq "u1""#, Resource::Users),
        (r#"userName gt "a""#, Resource::Users),
        (r#"active eq "yes""#, Resource::Users),
        (r#"userName eq 42"#, Resource::Users),
        (r#"name.givenName eq "Barbara""#, Resource::Users),
        (r#"members co "u""#, Resource::Groups),
        (r#"urn:example:custom:2.0:User:x eq "1""#, Resource::Users),
    ] {
        let parsed: Filter = filter.parse().expect("grammar");
        assert!(
            translate(Some(&parsed), resource).is_err(),
            "{filter} must be refused"
        );
    }
}
