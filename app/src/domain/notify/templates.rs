//! The mails' words: each [`Notice`] becomes a subject, a few paragraphs and
//! one link to the exact page, laid out once as plain text and once as HTML
//! (every value escaped). No token, signature or secret is ever part of a
//! notice, so none can reach a mail.

use super::Notice;
use crate::types::{JobOperation, RequestKind, RequestStatus, format_date};

/// A mail ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// What a template says, before layout.
struct Content {
    subject: String,
    paragraphs: Vec<String>,
    /// The button: its words and the path under the public URL.
    link: (&'static str, String),
    /// A list of links (words, path), after the paragraphs.
    list: Vec<(String, String)>,
}

/// `notice` for `to_name`, with links under `public_url`; `unsubscribe` is the
/// one-click link of non-essential mail.
pub fn render(
    notice: &Notice,
    to_name: &str,
    public_url: &str,
    unsubscribe: Option<&str>,
) -> Rendered {
    let base = public_url.trim_end_matches('/');
    let content = content(notice);
    let link = format!("{base}{}", content.link.1);
    let settings = format!("{base}/notifications");
    let subject = one_line(&content.subject);
    let mut text = format!("Hello {},\n\n", one_line(to_name));
    for p in &content.paragraphs {
        text.push_str(p);
        text.push_str("\n\n");
    }
    for (words, path) in &content.list {
        text.push_str(&format!("- {}: {base}{path}\n", one_line(words)));
    }
    if !content.list.is_empty() {
        text.push('\n');
    }
    text.push_str(&format!("{}: {link}\n\n-- \nCountersign. ", content.link.0));
    let mut html = format!(
        "<!doctype html><html><body style=\"font-family:sans-serif;line-height:1.5\">\
         <p>Hello {},</p>",
        escape(to_name)
    );
    for p in &content.paragraphs {
        html.push_str(&format!("<p>{}</p>", escape(p)));
    }
    if !content.list.is_empty() {
        html.push_str("<ul>");
        for (words, path) in &content.list {
            html.push_str(&format!(
                "<li><a href=\"{}\">{}</a></li>",
                escape(&format!("{base}{path}")),
                escape(words)
            ));
        }
        html.push_str("</ul>");
    }
    html.push_str(&format!(
        "<p><a href=\"{}\">{}</a></p><hr><p style=\"font-size:small;color:#555\">Countersign. ",
        escape(&link),
        escape(content.link.0)
    ));
    match unsubscribe {
        Some(url) => {
            text.push_str(&format!(
                "To stop mail like this: {url}\nAll your mail settings: {settings}\n"
            ));
            html.push_str(&format!(
                "<a href=\"{}\">Stop mail like this</a> · <a href=\"{}\">Notification settings</a>",
                escape(url),
                escape(&settings)
            ));
        }
        None => {
            text.push_str(
                "You get this mail because work waits for you; it cannot be turned off.\n",
            );
            html.push_str("You get this mail because work waits for you.");
        }
    }
    html.push_str("</p></body></html>");
    Rendered {
        subject,
        text,
        html,
    }
}

fn content(notice: &Notice) -> Content {
    match notice {
        Notice::TaskAssigned {
            task_id,
            item_name,
            request_kind,
            requester_name,
            beneficiary_name,
            step,
            ..
        } => {
            let what = match request_kind {
                RequestKind::Grant => format!("access to {item_name}"),
                RequestKind::Revoke => format!("removal of {item_name}"),
            };
            let who = if requester_name == beneficiary_name {
                format!("{requester_name} asks for {what}.")
            } else {
                format!("{requester_name} asks for {what} for {beneficiary_name}.")
            };
            Content {
                subject: format!("Approval needed: {item_name} for {beneficiary_name}"),
                paragraphs: vec![
                    who,
                    format!("Step {step} of the approval is yours to decide."),
                ],
                link: ("Open the task", format!("/inbox#task-{task_id}")),
                list: Vec::new(),
            }
        }
        Notice::RequestClosed {
            request_id,
            item_name,
            request_kind,
            outcome,
            by_name,
            comment,
        } => {
            let what = match request_kind {
                RequestKind::Grant => format!("access to {item_name}"),
                RequestKind::Revoke => format!("removal of {item_name}"),
            };
            let verb = match outcome {
                RequestStatus::Approved => "approved",
                RequestStatus::Denied => "denied",
                RequestStatus::Cancelled => "cancelled",
                RequestStatus::Pending => "updated",
            };
            let mut paragraphs = vec![match by_name {
                Some(by) => format!("The request for {what} was {verb} by {by}."),
                None => format!("The request for {what} was {verb}."),
            }];
            if let Some(comment) = comment.as_deref().filter(|c| !c.is_empty()) {
                paragraphs.push(format!("Comment: {comment}"));
            }
            Content {
                subject: format!("Request {verb}: {item_name}"),
                paragraphs,
                link: ("See the request", format!("/requests/{request_id}")),
                list: Vec::new(),
            }
        }
        Notice::AccessEnding {
            item_name,
            end_date,
            days_left,
        } => {
            let when = if *days_left <= 1 {
                "tomorrow".to_owned()
            } else {
                format!("in {days_left} days")
            };
            Content {
                subject: format!("Your access to {item_name} ends {when}"),
                paragraphs: vec![
                    format!(
                        "Your access to {item_name} ends on {}.",
                        format_date(*end_date)
                    ),
                    "If you still need it, request it again before then.".into(),
                ],
                link: ("See your access", "/access".into()),
                list: Vec::new(),
            }
        }
        Notice::AccessExpired { item_name } => Content {
            subject: format!("Your access to {item_name} has ended"),
            paragraphs: vec![format!(
                "Your access to {item_name} reached its end date and was removed."
            )],
            link: ("See your access", "/access".into()),
            list: Vec::new(),
        },
        Notice::TaskReminder {
            task_id,
            item_name,
            beneficiary_name,
            step,
            waiting_days,
            reminder,
            of,
            ..
        } => Content {
            subject: format!("Reminder: approval waiting: {item_name} for {beneficiary_name}"),
            paragraphs: vec![
                format!(
                    "Step {step} of the request for {item_name} for {beneficiary_name} has waited \
                     {waiting_days} {} for your decision.",
                    days(*waiting_days)
                ),
                format!("This is reminder {reminder} of at most {of}."),
            ],
            link: ("Open the task", format!("/inbox#task-{task_id}")),
            list: Vec::new(),
        },
        Notice::TaskEscalated {
            request_id,
            item_name,
            beneficiary_name,
            step,
            waiting_days,
            to_name,
        } => Content {
            subject: format!("Approval escalated: {item_name} for {beneficiary_name}"),
            paragraphs: vec![format!(
                "Step {step} of the request for {item_name} for {beneficiary_name} waited \
                 {waiting_days} {} and was handed to {to_name}, as your organisation's \
                 escalation rule says. You need not decide it any more.",
                days(*waiting_days)
            )],
            link: ("See the request", format!("/requests/{request_id}")),
            list: Vec::new(),
        },
        Notice::EscalationRefused {
            request_id,
            item_name,
            beneficiary_name,
            step,
            reason,
            ..
        } => Content {
            subject: format!("Escalation not possible: {item_name} for {beneficiary_name}"),
            paragraphs: vec![
                format!(
                    "Step {step} of the request for {item_name} for {beneficiary_name} waited past \
                     the escalation bound, but it was not handed to the fallback approver: {reason}."
                ),
                "Change the fallback approver in the settings, or hand the task on from the \
                 request's approver."
                    .into(),
            ],
            link: ("See the request", format!("/requests/{request_id}")),
            list: Vec::new(),
        },
        Notice::TaskDigest { total, tasks, .. } => {
            let mut paragraphs = vec![format!(
                "{total} approval {} for your decision.",
                if *total == 1 {
                    "task waits"
                } else {
                    "tasks wait"
                }
            )];
            if *total > tasks.len() as i64 {
                paragraphs.push(format!("The newest {} are:", tasks.len()));
            }
            Content {
                subject: format!("{total} approvals wait for you"),
                paragraphs,
                link: ("Open your inbox", "/inbox".into()),
                list: tasks
                    .iter()
                    .map(|t| {
                        (
                            format!(
                                "{} for {} (since {})",
                                t.item_name,
                                t.beneficiary_name,
                                format_date(t.opened_at)
                            ),
                            format!("/inbox#task-{}", t.task_id),
                        )
                    })
                    .collect(),
            }
        }
        Notice::ProvisioningFailed {
            item_name,
            person_name,
            operation,
            error,
            ..
        } => {
            let what = match operation {
                JobOperation::Revoke => format!("Revoking {item_name} from {person_name}"),
                _ => format!("Granting {item_name} to {person_name}"),
            };
            Content {
                subject: format!("Provisioning failed: {item_name} for {person_name}"),
                paragraphs: vec![
                    format!("{what} failed after its last attempt."),
                    format!("The target answered: {error}"),
                    "Fix the item's target, then retry the job or mark it done by hand.".into(),
                ],
                link: ("Open the provisioning page", "/admin/provisioning".into()),
                list: Vec::new(),
            }
        }
    }
}

fn days(n: i64) -> &'static str {
    if n == 1 { "day" } else { "days" }
}

/// `text` on one line without control characters (a header value).
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

/// `text` safe inside HTML text and double-quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(item: &str) -> Notice {
        Notice::TaskAssigned {
            task_id: "t1".into(),
            request_id: "r1".into(),
            item_name: item.into(),
            request_kind: RequestKind::Grant,
            requester_name: "Alice Example".into(),
            beneficiary_name: "Alice Example".into(),
            step: 1,
        }
    }

    #[test]
    fn a_task_mail_links_to_the_task_under_the_public_url() {
        let mail = render(&task("Payroll"), "Bob", "https://cs.example.com/", None);
        assert_eq!(mail.subject, "Approval needed: Payroll for Alice Example");
        assert!(mail.text.contains("https://cs.example.com/inbox#task-t1"));
        assert!(
            mail.html
                .contains("href=\"https://cs.example.com/inbox#task-t1\"")
        );
        assert!(mail.text.contains("cannot be turned off"));
    }

    #[test]
    fn names_are_escaped_in_html_and_kept_on_one_line_in_the_subject() {
        let mail = render(
            &task("<script>alert(1)</script>\r\nBcc: x"),
            "Bob \"<b>\"",
            "http://127.0.0.1:3000",
            None,
        );
        assert!(!mail.html.contains("<script>"));
        assert!(mail.html.contains("&lt;script&gt;"));
        assert!(mail.html.contains("Bob &quot;&lt;b&gt;&quot;"));
        assert!(!mail.subject.contains('\n') && !mail.subject.contains('\r'));
    }

    #[test]
    fn non_essential_mail_says_how_to_stop_it() {
        let notice = Notice::AccessExpired {
            item_name: "VPN".into(),
        };
        let mail = render(&notice, "Alice", "http://h", Some("http://h/u/x"));
        assert!(mail.text.contains("To stop mail like this: http://h/u/x"));
        assert!(mail.html.contains("href=\"http://h/notifications\""));
    }
}
