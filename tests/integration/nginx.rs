//! Debian's `nginx` as the reverse proxy in front of replicas, as an operator
//! runs it: round robin, retrying only idempotent requests on another replica,
//! passing the forwarded headers. A child process of the test with its own
//! config, pid file, logs and temp paths in a temp directory, on a loopback
//! port; killed on drop.

use std::{path::PathBuf, process::Stdio, time::Duration};

use tokio::process::{Child, Command};

pub struct Nginx {
    /// Where people reach the replicas: `http://127.0.0.1:port`.
    pub origin: String,
    dir: PathBuf,
    child: Child,
}

/// The nginx binary, or a failure that says how to get it: a missing proxy
/// must never turn the replica tests into tests that pass doing nothing.
fn binary() -> PathBuf {
    let found = ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file());
    found.unwrap_or_else(|| {
        panic!("nginx is not installed: run scripts/setup.sh (it installs Debian's nginx)")
    })
}

fn config(dir: &std::path::Path, listen: &str, upstreams: &[&str]) -> String {
    let d = dir.display();
    let servers: String = upstreams
        .iter()
        .map(|addr| format!("    server {addr} max_fails=0;\n"))
        .collect();
    // As root, nginx's workers would switch to `nobody` and lose the temp dir.
    let user = if running_as_root() {
        "user root;\n"
    } else {
        ""
    };
    format!(
        "{user}daemon off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 512; }}
http {{
  client_body_temp_path {d}/client_body;
  proxy_temp_path {d}/proxy;
  fastcgi_temp_path {d}/fastcgi;
  uwsgi_temp_path {d}/uwsgi;
  scgi_temp_path {d}/scgi;
  log_format replicas '$request_uri $upstream_addr';
  access_log {d}/access.log replicas;
  upstream countersign {{
{servers}    keepalive 16;
  }}
  server {{
    listen {listen};
    location / {{
      proxy_pass http://countersign;
      proxy_http_version 1.1;
      proxy_set_header Connection \"\";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      # Another replica answers when one is down; never for a POST (not idempotent).
      proxy_next_upstream error timeout http_502 http_503;
      add_header X-Countersign-Upstream $upstream_addr always;
    }}
  }}
}}
"
    )
}

fn running_as_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0\n"))
        .unwrap_or(false)
}

impl Nginx {
    /// nginx on `listen` (an `addr:port` chosen by the caller, who tells the
    /// replicas and the provider its origin first) in front of `upstreams`;
    /// returns once it answers.
    pub async fn start(listen: &str, upstreams: &[&str]) -> Nginx {
        let nginx = binary();
        let dir = std::env::temp_dir().join(format!(
            "countersign-nginx-{}",
            uuid::Uuid::now_v7().simple()
        ));
        std::fs::create_dir_all(&dir).expect("nginx's temp dir");
        let conf = dir.join("nginx.conf");
        std::fs::write(&conf, config(&dir, listen, upstreams)).expect("write nginx.conf");
        let child = Command::new(nginx)
            .arg("-p")
            .arg(&dir)
            .arg("-e")
            .arg(dir.join("error.log"))
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start nginx");
        let proxy = Nginx {
            origin: format!("http://{listen}"),
            dir,
            child,
        };
        proxy.wait_until_answering().await;
        proxy
    }

    async fn wait_until_answering(&self) {
        let url = format!("{}/healthz", self.origin);
        let up = tokio::time::timeout(Duration::from_secs(20), async {
            loop {
                if let Ok(response) = reqwest::get(&url).await
                    && response.status().is_success()
                {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await;
        assert!(
            up.is_ok(),
            "nginx did not answer on {}: {}",
            self.origin,
            std::fs::read_to_string(self.dir.join("error.log")).unwrap_or_default()
        );
    }

    /// The requests nginx passed on so far: the URI and the replica that
    /// answered (its access log, one line each).
    pub fn served(&self) -> Vec<Served> {
        std::fs::read_to_string(self.dir.join("access.log"))
            .unwrap_or_default()
            .lines()
            .filter_map(|line| {
                let mut parts = line.split(' ');
                Some(Served {
                    uri: parts.next()?.to_owned(),
                    replica: parts.next()?.to_owned(),
                })
            })
            .collect()
    }
}

/// One request as nginx's access log tells it.
#[derive(Debug, Clone)]
pub struct Served {
    pub uri: String,
    pub replica: String,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
