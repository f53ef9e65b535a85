//! A real OpenLDAP server (Debian `slapd`) run by the test as a user process:
//! its own `slapd.conf` (mdb backend, suffix `dc=example,dc=org`, the
//! `memberof` overlay) and database in a temporary directory, on a free
//! loopback port, loaded with a few people and a `groupOfNames` group by
//! `ldapadd`. Read back with `ldapsearch`, independently of the app's code. It
//! can be stopped and started again on the same port with the same data.

use std::{
    path::{Path, PathBuf},
    process::{Command as StdCommand, Stdio},
    time::Duration,
};

use tokio::process::{Child, Command};

pub const SUFFIX: &str = "dc=example,dc=org";
pub const ROOT_DN: &str = "cn=admin,dc=example,dc=org";
pub const ROOT_PASSWORD: &str = "slapd-root-password";
/// The connector's own account, allowed to change groups.
pub const BIND_DN: &str = "cn=countersign,ou=services,dc=example,dc=org";
pub const BIND_PASSWORD: &str = "countersign-bind-password";
pub const PEOPLE: &str = "ou=people,dc=example,dc=org";
pub const GROUP_DN: &str = "cn=payroll,ou=groups,dc=example,dc=org";
/// groupOfNames needs one member at least: this one stays.
pub const KEEPER_DN: &str = "uid=keeper,ou=people,dc=example,dc=org";
pub const ALICE_DN: &str = "uid=alice,ou=people,dc=example,dc=org";

const SLAPD: &str = "/usr/sbin/slapd";

pub struct Slapd {
    dir: PathBuf,
    pub port: u16,
    /// With TLS: a second port speaking LDAPS (TLS from the first byte).
    ldaps_port: Option<u16>,
    child: Option<Child>,
    tls: bool,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn unique_dir(prefix: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "countersign-{prefix}-{}-{}",
        std::process::id(),
        uuid::Uuid::now_v7().simple()
    ));
    std::fs::create_dir_all(&dir).expect("create a temporary directory");
    dir
}

fn run(cmd: &mut StdCommand, what: &str) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: {e} (run scripts/setup.sh)"));
    assert!(
        out.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn config(dir: &Path, tls: bool) -> String {
    let d = dir.display();
    let tls_lines = if tls {
        format!(
            "TLSCACertificateFile {d}/ca.pem\nTLSCertificateFile {d}/server.pem\n\
             TLSCertificateKeyFile {d}/server.key\n"
        )
    } else {
        String::new()
    };
    format!(
        "{tls_lines}include /etc/ldap/schema/core.schema\n\
         include /etc/ldap/schema/cosine.schema\n\
         include /etc/ldap/schema/inetorgperson.schema\n\
         modulepath /usr/lib/ldap\n\
         moduleload back_mdb\n\
         moduleload memberof\n\
         pidfile {d}/slapd.pid\n\
         argsfile {d}/slapd.args\n\
         database mdb\n\
         maxsize 10485760\n\
         suffix \"{SUFFIX}\"\n\
         rootdn \"{ROOT_DN}\"\n\
         rootpw {ROOT_PASSWORD}\n\
         directory {d}/data\n\
         overlay memberof\n\
         access to attrs=userPassword by self write by anonymous auth by * none\n\
         access to * by dn.exact=\"{BIND_DN}\" write by * read\n"
    )
}

fn seed() -> String {
    let person = |uid: &str, name: &str, mail: &str| {
        format!(
            "dn: uid={uid},{PEOPLE}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: {name}\n\
             sn: {}\nmail: {mail}\n\n",
            name.rsplit(' ').next().unwrap_or(name)
        )
    };
    format!(
        "dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n\n\
         dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people\n\n\
         dn: ou=groups,{SUFFIX}\nobjectClass: organizationalUnit\nou: groups\n\n\
         dn: ou=services,{SUFFIX}\nobjectClass: organizationalUnit\nou: services\n\n\
         dn: {BIND_DN}\nobjectClass: person\nobjectClass: simpleSecurityObject\ncn: countersign\n\
         sn: countersign\nuserPassword: {BIND_PASSWORD}\n\n\
         {}{}{}\
         dn: {GROUP_DN}\nobjectClass: groupOfNames\ncn: payroll\nmember: {KEEPER_DN}\n\n",
        person("alice", "Alice Example", "alice@example.com"),
        person("bob", "Bob Example", "bob@example.com"),
        person("keeper", "Group Keeper", "keeper@example.com"),
    )
}

/// A certificate authority and a server certificate for 127.0.0.1, made with
/// the `openssl` command; returns the CA's PEM.
fn certificates(dir: &Path) -> String {
    let d = |name: &str| dir.join(name).display().to_string();
    let key = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    run(
        StdCommand::new("openssl")
            .args(["req", "-x509"])
            .args(key)
            .args(["-keyout", &d("ca.key"), "-out", &d("ca.pem"), "-days", "2"])
            .args(["-subj", "/CN=Countersign Test CA"]),
        "openssl (CA)",
    );
    run(
        StdCommand::new("openssl")
            .arg("req")
            .args(key)
            .args(["-keyout", &d("server.key"), "-out", &d("server.csr")])
            .args(["-subj", "/CN=127.0.0.1"]),
        "openssl (server key)",
    );
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n\
         keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n",
    )
    .expect("write ext.cnf");
    run(
        StdCommand::new("openssl")
            .args(["x509", "-req", "-in", &d("server.csr"), "-CA", &d("ca.pem")])
            .args(["-CAkey", &d("ca.key"), "-CAcreateserial", "-days", "2"])
            .args(["-out", &d("server.pem"), "-extfile", &d("ext.cnf")]),
        "openssl (server certificate)",
    );
    std::fs::read_to_string(dir.join("ca.pem")).expect("read ca.pem")
}

/// Another CA's certificate, which signed nothing the server shows.
pub fn unrelated_ca() -> String {
    let dir = unique_dir("other-ca");
    let pem = dir.join("ca.pem");
    run(
        StdCommand::new("openssl")
            .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
            .args(["ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"])
            .arg("-keyout")
            .arg(dir.join("ca.key"))
            .arg("-out")
            .arg(&pem)
            .args(["-subj", "/CN=Someone Else's CA"]),
        "openssl (other CA)",
    );
    let text = std::fs::read_to_string(&pem).expect("read ca.pem");
    let _ = std::fs::remove_dir_all(&dir);
    text
}

impl Slapd {
    /// A server on plain LDAP (the connector allows it on loopback for tests).
    pub async fn start() -> Slapd {
        Slapd::start_with(false).await
    }

    /// A server whose `ldap://` port offers StartTLS, and whose
    /// [`Slapd::ldaps_url`] speaks LDAPS, with a certificate from its own CA;
    /// returns it and the CA's PEM.
    pub async fn start_tls() -> (Slapd, String) {
        let slapd = Slapd::start_with(true).await;
        let ca = std::fs::read_to_string(slapd.dir.join("ca.pem")).expect("read ca.pem");
        (slapd, ca)
    }

    async fn start_with(tls: bool) -> Slapd {
        assert!(
            Path::new(SLAPD).exists(),
            "{SLAPD} is missing: run scripts/setup.sh (Debian slapd + ldap-utils)"
        );
        let dir = unique_dir("slapd");
        std::fs::create_dir_all(dir.join("data")).expect("create the data directory");
        if tls {
            certificates(&dir);
        }
        std::fs::write(dir.join("slapd.conf"), config(&dir, tls)).expect("write slapd.conf");
        let mut slapd = Slapd {
            dir,
            port: free_port(),
            ldaps_port: tls.then(free_port),
            child: None,
            tls,
        };
        slapd.run().await;
        std::fs::write(slapd.dir.join("seed.ldif"), seed()).expect("write seed.ldif");
        slapd.as_root(
            StdCommand::new("ldapadd")
                .arg("-f")
                .arg(slapd.dir.join("seed.ldif")),
        );
        slapd
    }

    /// `ldap://127.0.0.1:port`.
    pub fn url(&self) -> String {
        format!("ldap://127.0.0.1:{}", self.port)
    }

    /// `ldaps://127.0.0.1:port`, on a server started with TLS.
    pub fn ldaps_url(&self) -> String {
        let port = self.ldaps_port.expect("a server started with start_tls");
        format!("ldaps://127.0.0.1:{port}")
    }

    async fn run(&mut self) {
        let mut listen = format!("{}/", self.url());
        if self.ldaps_port.is_some() {
            listen.push_str(&format!(" {}/", self.ldaps_url()));
        }
        let child = Command::new(SLAPD)
            .arg("-f")
            .arg(self.dir.join("slapd.conf"))
            .args(["-h", &listen])
            // Any debug level keeps it in the foreground, a child of the test.
            .args(["-d", "0"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start slapd");
        self.child = Some(child);
        let ports: Vec<u16> = std::iter::once(self.port).chain(self.ldaps_port).collect();
        for _ in 0..200 {
            let mut listening = true;
            for port in &ports {
                listening &= tokio::net::TcpStream::connect(("127.0.0.1", *port))
                    .await
                    .is_ok();
            }
            if listening {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("slapd did not listen on {} within 5 s", self.url());
    }

    /// Stops the server: its port refuses connections until [`Slapd::restart`].
    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
        assert!(
            std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err(),
            "slapd still answers after it was stopped"
        );
    }

    /// Starts it again on the same port, with the same data.
    pub async fn restart(&mut self) {
        self.run().await;
    }

    /// Runs an ldap-utils command bound as the root DN.
    fn as_root(&self, cmd: &mut StdCommand) -> String {
        let what = format!("{:?}", cmd.get_program());
        if self.tls {
            cmd.arg("-ZZ")
                .env("LDAPTLS_CACERT", self.dir.join("ca.pem"));
        }
        cmd.args(["-x", "-H", &self.url(), "-D", ROOT_DN, "-w", ROOT_PASSWORD]);
        run(cmd, &what)
    }

    /// The values of `attribute` of `dn`, read with `ldapsearch`.
    pub fn values(&self, dn: &str, attribute: &str) -> Vec<String> {
        let out = self.as_root(
            StdCommand::new("ldapsearch")
                .args(["-LLL", "-o", "ldif-wrap=no", "-s", "base", "-b", dn])
                .args(["(objectClass=*)", attribute]),
        );
        let prefix = format!("{attribute}: ");
        out.lines()
            .filter_map(|l| l.strip_prefix(&prefix))
            .map(str::to_owned)
            .collect()
    }

    /// The group's members (read back with `ldapsearch`).
    pub fn members(&self) -> Vec<String> {
        self.values(GROUP_DN, "member")
    }

    /// Changes the group by hand, as another administrator would.
    pub fn modify_group(&self, change: &str, dn: &str) {
        let ldif = self.dir.join("change.ldif");
        std::fs::write(
            &ldif,
            format!("dn: {GROUP_DN}\nchangetype: modify\n{change}: member\nmember: {dn}\n"),
        )
        .expect("write change.ldif");
        self.as_root(StdCommand::new("ldapmodify").arg("-f").arg(&ldif));
    }
}

impl Drop for Slapd {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.start_kill();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
