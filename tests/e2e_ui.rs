//! End to end on the real Docker engine, in a real browser: `reyns ui` on
//! the demo. Headless Chromium renders the four instances with their
//! health; a POST without the page's token is refused (403) and runs
//! nothing; `_stop` of demo-two with the token stops it and the page then
//! shows it exited; a line written in demo-one comes out of its log stream.
//! With `REYNS_UI_SCREENSHOT=<path>`, the rendered page is saved there (the
//! README's picture, `docs/ui.png`, is made so).

mod support;

use support::browser::{body_data, dump_dom, http, screenshot, stream_until, ui_url, LivePage};
use support::engine::{docker, eventually, Project};

/// The `<tr>` the page renders for a container: its state and health.
fn row_of(dom: &str, container: &str) -> Option<(String, String)> {
    let start = dom.find(&format!("<tr data-container=\"{container}\""))?;
    let tag = &dom[start..start + dom[start..].find('>')?];
    let attribute = |name: &str| {
        let from = tag.find(&format!("{name}=\""))? + name.len() + 2;
        Some(tag[from..].split('"').next()?.to_string())
    };
    Some((attribute("data-state")?, attribute("data-health")?))
}

/// The token in the page's `<meta name="reyns-token">`.
fn token_of(dom: &str) -> String {
    let meta = &dom[dom
        .find("name=\"reyns-token\"")
        .expect("the token's meta tag")..];
    let from = meta.find("content=\"").expect("its content") + 9;
    meta[from..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn the_dashboard_shows_the_demo_runs_verbs_with_its_token_only_and_streams_logs() {
    let project = Project::new();
    project.install_demo();
    project.in_demo("build:all", "hello").run().success();
    project.in_demo("run:all", "hello").run().success();
    let mut ui = project.in_demo("ui:port=0", "hello").spawn();
    let guard = support::KillOnDrop(ui.id());
    let (url, port) = ui_url(&mut ui);
    let two = project.container("demo", "two");
    let containers = [
        ("reyns-dns", "one"),
        ("demo", "one"),
        ("demo", "two"),
        ("demo", "three"),
    ]
    .map(|(service, instance)| project.container(service, instance));

    // docker's first health check runs 10 s after a start: until then the
    // page rightly says `starting`.
    let all_healthy = || {
        let (_, body) = http(port, "GET", "/api/instances", &[], "");
        body.matches("\"health\":\"healthy\"").count() == 4
    };
    assert!(
        eventually(60, all_healthy),
        "{}",
        http(port, "GET", "/api/instances", &[], "").1
    );
    let dom = dump_dom(&url, None);
    for container in &containers {
        assert_eq!(
            row_of(&dom, container),
            Some(("running".to_string(), "healthy".to_string())),
            "{container} in the rendered page"
        );
    }
    assert_eq!(body_data(&dom, "data-instances").as_deref(), Some("4"));
    if let Some(path) = std::env::var_os("REYNS_UI_SCREENSHOT") {
        screenshot(&url, std::path::Path::new(&path));
    }

    // Without the token, or with another one: 403, and nothing ran.
    let stop_two = r#"{"args": "demo,two"}"#;
    let (status, body) = http(
        port,
        "POST",
        "/api/verbs/_stop",
        &[("Content-Type", "application/json")],
        stop_two,
    );
    assert_eq!(status, 403, "{body}");
    let (status, _) = http(
        port,
        "POST",
        "/api/verbs/_stop",
        &[("X-Reyns-Token", "guessed")],
        stop_two,
    );
    assert_eq!(status, 403);
    // A page elsewhere reaching this port through another name: refused.
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    std::io::Write::write_all(
        &mut stream,
        b"GET /api/instances HTTP/1.1\r\nHost: evil.example:80\r\nConnection: close\r\n\r\n",
    )
    .unwrap();
    let mut answer = String::new();
    std::io::Read::read_to_string(&mut stream, &mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    std::thread::sleep(std::time::Duration::from_secs(1));
    assert_eq!(
        docker(&["inspect", "--format", "{{.State.Running}}", &two]),
        "true",
        "a refused POST stopped demo-two"
    );

    // With the page's token: demo-two stops, and the page shows it exited,
    // both an open page (its next refresh, no reload) and a new one.
    let mut open_page = LivePage::open(&url);
    let token = token_of(&dom);
    assert_eq!(token.len(), 64, "{token}");
    let post_with_token = |verb: &str, body: &str| {
        http(
            port,
            "POST",
            &format!("/api/verbs/{verb}"),
            &[("X-Reyns-Token", &token)],
            body,
        )
    };
    let (status, body) = post_with_token("_stop", stop_two);
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("\"ok\":true") && body.contains("\"exit_code\":0"),
        "{body}"
    );
    assert_eq!(
        docker(&["inspect", "--format", "{{.State.Status}}", &two]),
        "exited"
    );
    let shown_exited = format!(
        "document.querySelector('tr[data-container=\"{two}\"]')?.dataset.state === 'exited'"
    );
    assert!(
        open_page.wait_for(&shown_exited, 10),
        "the open page did not show demo-two exited"
    );
    drop(open_page);
    let dom = dump_dom(&url, None);
    assert_eq!(
        row_of(&dom, &two).map(|(state, _)| state).as_deref(),
        Some("exited"),
        "the page after _stop"
    );
    // A verb that fails says so: exit status and reyns' words.
    let (_, body) = post_with_token("_start", r#"{"args": "nosuch,one"}"#);
    assert!(
        body.contains("\"ok\":false") && body.contains("nosuch"),
        "{body}"
    );
    let (status, _) = post_with_token("clean", r#"{"args": "all,force=True"}"#);
    assert_eq!(status, 404, "clean is not a dashboard verb");

    // A line written in demo-one comes out of demo-one's log stream.
    let one = project.container("demo", "one");
    let marker = format!("written-for-the-dashboard-{}", std::process::id());
    let write_line = || {
        docker(&[
            "exec",
            &one,
            "sh",
            "-c",
            &format!("echo {marker} > /proc/1/fd/1"),
        ]);
    };
    assert!(
        stream_until(
            port,
            "/api/logs?service=demo&instance=one",
            20,
            write_line,
            &marker
        ),
        "the line never came out of the log stream"
    );

    // Ctrl-C: the dashboard stops with exit status 0.
    // SAFETY: signalling the child this test started.
    unsafe { libc::kill(ui.id() as i32, libc::SIGINT) };
    let status = ui.wait().expect("wait for reyns ui");
    guard.disarm();
    assert_eq!(status.code(), Some(0));
}
