//! The dashboard with a large platform, in headless Chromium: 300 instances
//! (the fake docker lists them) all render, and 10,000 log lines poured into
//! the page leave it answering, its pane capped. How fast is measured by
//! `bench/ui`, which runs this test and reads the figures it prints (a
//! timed assertion would fail on a busy machine, not on a slow page).

use super::*;
use support::browser::{body_data, dump_dom, http, ui_url, LivePage};

/// `count` running instances of service `svc` in project `proj`, as the
/// fake docker's `ps` prints them.
fn many_instances(count: usize) -> String {
    (1..=count)
        .map(|n| {
            format!(
                r#"{{"id":"id{n:04}","name":"proj-svc-i{n}","image":"proj/svc","status":"Up 5 minutes (healthy)","state":"running","created":"now","project":"proj","service":"svc","instance":"i{n}","instance_type":"standard","conf":"default","group":"","dns":""}}"#
            ) + "\n"
        })
        .collect()
}

#[test]
fn three_hundred_instances_render_in_a_second_and_ten_thousand_log_lines_keep_the_page_responsive()
{
    let lines: String = (1..=10_000)
        .map(|n| format!("log line {n} of a chatty service\n"))
        .collect();
    let test = Test::demo()
        .args("ui:port=0,refresh=60")
        .env("EXAMPLE_ENV_VAR", "x")
        .docker_answer("ps.jsonl", &many_instances(300))
        .docker_answer("logs.txt", &lines)
        .docker_answer("logs-follow-wait", "");
    let mut ui = test.spawn();
    let guard = support::KillOnDrop(ui.id());
    let (url, port) = ui_url(&mut ui);
    let (_, body) = http(port, "GET", "/api/instances", &[], "");
    assert_eq!(
        body.matches("\"service\":\"svc\"").count(),
        300,
        "{}",
        &body[..body.len().min(300)]
    );

    let dom = dump_dom(&url, None);
    assert_eq!(dom.matches("<tr data-container=\"proj-svc-i").count(), 300);
    let render_ms: u64 = body_data(&dom, "data-render-ms")
        .and_then(|ms| ms.parse().ok())
        .expect("the page timed its first render");

    // One instance's logs: 10,000 lines at once (the fake prints them all,
    // then waits as `docker logs --follow` does), in a live page.
    let mut page = LivePage::open(&format!("{url}?logs=svc,i1"));
    assert!(
        page.wait_for("document.getElementById('log').textContent.includes('log line 10000 of a chatty service')", 30),
        "the last of 10,000 lines never showed: {}",
        page.eval("document.body.dataset.logLines ?? 'none'")
    );
    let kept = page.eval("Number(document.body.dataset.logLines)");
    assert_eq!(
        kept,
        serde_json::json!(2000),
        "the pane keeps the last 2000 lines"
    );
    let blocked = page
        .eval("Number(document.body.dataset.longestBlockMs)")
        .as_u64()
        .expect("responsiveness measured");
    // And it still answers: a click on clear empties the pane at once.
    page.eval("document.getElementById('log-clear').click()");
    assert_eq!(
        page.eval("document.getElementById('log').textContent"),
        serde_json::json!("")
    );
    // What bench/ui reads.
    eprintln!("ui figures: render_ms={render_ms} longest_block_ms={blocked}");
    drop(page);

    // SAFETY: signalling the child this test started.
    unsafe { libc::kill(ui.id() as i32, libc::SIGINT) };
    assert_eq!(ui.wait().expect("wait for reyns ui").code(), Some(0));
    guard.disarm();
}
