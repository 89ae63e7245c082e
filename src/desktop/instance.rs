//! One spinewatch window per user. The first window listens on an abstract Unix socket named
//! after the user id (`spinewatch-<uid>`, Linux); a second `spinewatch` that finds it taken asks
//! the first to raise its window and exits. Command-line tools ask the same socket who holds the
//! sensor, so `record` can say "the spinewatch window (pid 1234) is using /dev/ttyACM0" instead
//! of failing on a busy port.
//!
//! An abstract socket needs no file: it vanishes with the process, so a crash never leaves a
//! stale lock behind. It has no file permissions either, so both sides check the other's uid
//! (`SO_PEERCRED`): the listener answers only its own user, and an asker refuses a listener run
//! by someone else (another user squatting the name). The protocol is one JSON line each way
//! ([`Request`], [`Reply`]).

use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How long either side waits for the other's line. The listener handles one connection at a
/// time, so this also bounds how long a stuck client can hold it up.
const IO_TIMEOUT: Duration = Duration::from_secs(2);

/// The longest line accepted, bytes (a request is a few dozen).
const MAX_LINE: u64 = 4096;

/// What a second process asks the first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "request")]
pub enum Request {
    /// Show and raise the window (a second `spinewatch` was started).
    Raise,
    /// Who holds the sensor? Answered by the listener itself from [`PrimaryInstance::set_port`].
    Holder,
}

/// The first process's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "reply")]
pub enum Reply {
    /// The request was passed to the window.
    Ok { pid: u32 },
    /// The window's process and the serial port it has open, if any.
    Holder { pid: u32, port: Option<String> },
    /// The request was not understood, or the window is shutting down.
    Error { message: String },
}

/// Who is using the sensor, as told by the running window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub pid: u32,
    /// The serial port the window has open (`None`: it runs the demo wearer or a replay).
    pub port: Option<String>,
}

impl std::fmt::Display for Holder {
    /// `the spinewatch window (pid 1234) is using /dev/ttyACM0`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.port {
            Some(port) => write!(
                f,
                "the spinewatch window (pid {}) is using {port}",
                self.pid
            ),
            None => write!(
                f,
                "the spinewatch window (pid {}) is running, without a serial port",
                self.pid
            ),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum InstanceError {
    #[error("could not listen on the instance socket {name}: {source}")]
    Listen {
        name: String,
        #[source]
        source: io::Error,
    },
    #[error("could not talk to the running spinewatch ({name}): {source}")]
    Talk {
        name: String,
        #[source]
        source: io::Error,
    },
    #[error("the running spinewatch sent an answer that is not understood: {line:?}")]
    BadReply { line: String },
    #[error("the running spinewatch refused: {message}")]
    Refused { message: String },
    /// The name is held by a process of another user: not our window.
    #[error("the instance socket {name} is held by another user (uid {uid})")]
    Impostor { name: String, uid: u32 },
    #[error("could not start the instance listener thread: {source}")]
    Thread {
        #[source]
        source: io::Error,
    },
    #[error("one-instance check needs Linux abstract sockets")]
    Unsupported,
}

/// The socket's name in the abstract namespace. One per user: it includes the uid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceName(String);

impl InstanceName {
    /// The name for the user running this process (see [`InstanceName::for_home`]).
    pub fn for_current_user() -> Self {
        Self::for_home(std::env::var_os(crate::paths::HOME_ENV).as_deref())
    }

    /// `spinewatch-<uid>`; with `$SPINEWATCH_HOME` set (`home`), `spinewatch-<uid>-<hash of
    /// it>`. Why: a separate home is a separate set of settings and history, so its window is
    /// a separate instance; and tests or a portable copy that set it never meet (or raise) the
    /// wearer's own window.
    pub fn for_home(home: Option<&std::ffi::OsStr>) -> Self {
        use std::os::unix::ffi::OsStrExt;
        match home.filter(|h| !h.is_empty()) {
            None => Self(format!("spinewatch-{}", own_uid())),
            Some(h) => {
                // FNV-1a: the same in every build, unlike std's hasher.
                let hash = h
                    .as_bytes()
                    .iter()
                    .fold(0xcbf2_9ce4_8422_2325_u64, |a, &b| {
                        (a ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
                    });
                Self(format!("spinewatch-{}-{hash:016x}", own_uid()))
            }
        }
    }

    /// Any other name (tests use one per run so they never meet a real window).
    pub fn custom(name: impl Into<String>) -> Self {
        Self(name.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    #[cfg(target_os = "linux")]
    fn addr(&self) -> io::Result<std::os::unix::net::SocketAddr> {
        use std::os::linux::net::SocketAddrExt;
        std::os::unix::net::SocketAddr::from_abstract_name(self.0.as_bytes())
    }

    #[cfg(not(target_os = "linux"))]
    fn addr(&self) -> io::Result<std::os::unix::net::SocketAddr> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "abstract sockets are Linux only",
        ))
    }
}

#[cfg(target_os = "linux")]
fn own_uid() -> u32 {
    rustix::process::getuid().as_raw()
}

#[cfg(not(target_os = "linux"))]
fn own_uid() -> u32 {
    0
}

/// The uid of the process at the other end of `stream`.
#[cfg(target_os = "linux")]
fn peer_uid(stream: &UnixStream) -> io::Result<u32> {
    Ok(rustix::net::sockopt::socket_peercred(stream)?.uid.as_raw())
}

#[cfg(not(target_os = "linux"))]
fn peer_uid(_stream: &UnixStream) -> io::Result<u32> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "peer credentials are Linux only",
    ))
}

/// What [`claim`] found.
pub enum Claim {
    /// This process is the first: it owns the name until the [`PrimaryInstance`] is dropped.
    Primary(PrimaryInstance),
    /// Another process holds the name; talk to it with [`Secondary`].
    Secondary(Secondary),
}

/// Becomes the first instance, or finds the one already running. `on_request` receives each
/// [`Request::Raise`] on the listener thread (send it on a channel and wake the window; see
/// [`channel_callback`]).
pub fn claim(
    name: &InstanceName,
    on_request: impl Fn(Request) -> bool + Send + 'static,
) -> Result<Claim, InstanceError> {
    let addr = name.addr().map_err(|_| InstanceError::Unsupported)?;
    match UnixListener::bind_addr(&addr) {
        Ok(listener) => Ok(Claim::Primary(PrimaryInstance::serve(
            name.clone(),
            listener,
            Box::new(on_request),
        )?)),
        Err(e) if e.kind() == io::ErrorKind::AddrInUse => {
            Ok(Claim::Secondary(Secondary { name: name.clone() }))
        }
        Err(source) => Err(InstanceError::Listen {
            name: name.0.clone(),
            source,
        }),
    }
}

/// A request callback that forwards to a channel and then calls `wake` (e.g. the window's
/// repaint request); answers `false` once the receiver is gone.
pub fn channel_callback(
    tx: Sender<Request>,
    wake: impl Fn() + Send + 'static,
) -> impl Fn(Request) -> bool + Send + 'static {
    move |request| {
        let sent = tx.send(request).is_ok();
        if sent {
            wake();
        }
        sent
    }
}

type RequestCallback = Box<dyn Fn(Request) -> bool + Send>;

/// The first instance's listener. Dropping it stops the thread and frees the name.
pub struct PrimaryInstance {
    name: InstanceName,
    port: Arc<Mutex<Option<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl PrimaryInstance {
    fn serve(
        name: InstanceName,
        listener: UnixListener,
        on_request: RequestCallback,
    ) -> Result<Self, InstanceError> {
        let port = Arc::new(Mutex::new(None));
        let stop = Arc::new(AtomicBool::new(false));
        let (thread_port, thread_stop) = (Arc::clone(&port), Arc::clone(&stop));
        let thread = std::thread::Builder::new()
            .name("instance-listener".into())
            .spawn(move || listen(&listener, &on_request, &thread_port, &thread_stop))
            .map_err(|source| InstanceError::Thread { source })?;
        Ok(Self {
            name,
            port,
            stop,
            thread: Some(thread),
        })
    }

    /// Tells later askers which serial port this process has open (`None` when it closes it or
    /// switches to the demo wearer or a replay).
    pub fn set_port(&self, port: Option<String>) {
        match self.port.lock() {
            Ok(mut p) => *p = port,
            Err(poisoned) => *poisoned.into_inner() = port,
        }
    }

    pub fn name(&self) -> &InstanceName {
        &self.name
    }
}

impl Drop for PrimaryInstance {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept so the thread sees the flag and closes the socket.
        if let Ok(addr) = self.name.addr()
            && let Err(e) = UnixStream::connect_addr(&addr)
        {
            tracing::debug!("instance listener wake-up: {e}");
        }
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::warn!("instance listener thread panicked");
        }
    }
}

fn listen(
    listener: &UnixListener,
    on_request: &RequestCallback,
    port: &Mutex<Option<String>>,
    stop: &AtomicBool,
) {
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        match stream {
            Ok(stream) => {
                if let Err(e) = answer(stream, on_request, port) {
                    tracing::debug!("instance request not answered: {e}");
                }
            }
            Err(e) => tracing::warn!("instance listener: {e}"),
        }
    }
}

fn answer(
    stream: UnixStream,
    on_request: &RequestCallback,
    port: &Mutex<Option<String>>,
) -> io::Result<()> {
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    let mut line = String::new();
    BufReader::new((&stream).take(MAX_LINE)).read_line(&mut line)?;
    let pid = std::process::id();
    let peer = peer_uid(&stream)?;
    if peer != own_uid() {
        tracing::warn!("instance request from another user (uid {peer}) refused");
        return write_line(
            &stream,
            &Reply::Error {
                message: "this spinewatch belongs to another user".into(),
            },
        );
    }
    let reply = match serde_json::from_str::<Request>(line.trim()) {
        Ok(Request::Holder) => Reply::Holder {
            pid,
            port: match port.lock() {
                Ok(p) => p.clone(),
                Err(poisoned) => poisoned.into_inner().clone(),
            },
        },
        Ok(request) => {
            if on_request(request) {
                Reply::Ok { pid }
            } else {
                Reply::Error {
                    message: "the window is shutting down".into(),
                }
            }
        }
        Err(e) => Reply::Error {
            message: format!("unknown request: {e}"),
        },
    };
    write_line(&stream, &reply)
}

fn write_line(mut stream: &UnixStream, value: &impl Serialize) -> io::Result<()> {
    let mut text = serde_json::to_string(value).map_err(io::Error::other)?;
    text.push('\n');
    stream.write_all(text.as_bytes())?;
    stream.flush()
}

/// A handle on the instance that is already running.
#[derive(Debug, Clone)]
pub struct Secondary {
    name: InstanceName,
}

impl Secondary {
    /// Asks the running window to show itself; `Ok` carries its pid.
    pub fn raise(&self) -> Result<u32, InstanceError> {
        match self.ask(&Request::Raise)? {
            Reply::Ok { pid } => Ok(pid),
            Reply::Error { message } => Err(InstanceError::Refused { message }),
            other => Err(InstanceError::BadReply {
                line: format!("{other:?}"),
            }),
        }
    }

    /// Asks who holds the sensor.
    pub fn holder(&self) -> Result<Holder, InstanceError> {
        match self.ask(&Request::Holder)? {
            Reply::Holder { pid, port } => Ok(Holder { pid, port }),
            Reply::Error { message } => Err(InstanceError::Refused { message }),
            other => Err(InstanceError::BadReply {
                line: format!("{other:?}"),
            }),
        }
    }

    fn ask(&self, request: &Request) -> Result<Reply, InstanceError> {
        let talk = |source| InstanceError::Talk {
            name: self.name.0.clone(),
            source,
        };
        let addr = self.name.addr().map_err(|_| InstanceError::Unsupported)?;
        let stream = UnixStream::connect_addr(&addr).map_err(talk)?;
        let uid = peer_uid(&stream).map_err(talk)?;
        if uid != own_uid() {
            return Err(InstanceError::Impostor {
                name: self.name.0.clone(),
                uid,
            });
        }
        stream.set_read_timeout(Some(IO_TIMEOUT)).map_err(talk)?;
        stream.set_write_timeout(Some(IO_TIMEOUT)).map_err(talk)?;
        write_line(&stream, request).map_err(talk)?;
        let mut line = String::new();
        BufReader::new((&stream).take(MAX_LINE))
            .read_line(&mut line)
            .map_err(talk)?;
        serde_json::from_str(line.trim()).map_err(|_| InstanceError::BadReply { line })
    }
}

/// For command-line tools: who holds the sensor, or `None` when no window is running (nothing
/// listens on the name). Never claims the name.
pub fn ask_holder(name: &InstanceName) -> Result<Option<Holder>, InstanceError> {
    match (Secondary { name: name.clone() }).holder() {
        Ok(holder) => Ok(Some(holder)),
        Err(InstanceError::Talk { source, .. })
            if source.kind() == io::ErrorKind::ConnectionRefused =>
        {
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unique(tag: &str) -> InstanceName {
        InstanceName::custom(format!("spinewatch-test-{tag}-{}", std::process::id()))
    }

    #[test]
    fn the_wire_format_is_one_tagged_json_line() {
        let text = serde_json::to_string(&Request::Raise).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(text, r#"{"request":"raise"}"#);
        let reply = Reply::Holder {
            pid: 7,
            port: Some("/dev/ttyACM0".into()),
        };
        let text = serde_json::to_string(&reply).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(text, r#"{"reply":"holder","pid":7,"port":"/dev/ttyACM0"}"#);
    }

    #[test]
    fn the_holder_line_names_pid_and_port() {
        let h = Holder {
            pid: 1234,
            port: Some("/dev/ttyACM0".into()),
        };
        assert_eq!(
            h.to_string(),
            "the spinewatch window (pid 1234) is using /dev/ttyACM0"
        );
    }

    #[test]
    fn a_separate_home_is_a_separate_instance() {
        let plain = InstanceName::for_home(None);
        assert_eq!(
            plain,
            InstanceName::for_home(Some(std::ffi::OsStr::new("")))
        );
        let a = InstanceName::for_home(Some(std::ffi::OsStr::new("/tmp/a")));
        let b = InstanceName::for_home(Some(std::ffi::OsStr::new("/tmp/b")));
        assert_ne!(a, b);
        assert_eq!(
            a,
            InstanceName::for_home(Some(std::ffi::OsStr::new("/tmp/a")))
        );
        assert!(
            a.as_str().starts_with(&format!("{}-", plain.as_str())),
            "{a:?}"
        );
    }

    #[test]
    fn the_user_name_includes_the_uid() {
        let name = InstanceName::for_current_user();
        assert!(name.as_str().starts_with("spinewatch-"), "{name:?}");
        assert!(name.as_str()["spinewatch-".len()..].parse::<u32>().is_ok());
    }

    #[test]
    fn with_nobody_listening_ask_holder_says_none() {
        let name = unique("nobody");
        assert!(matches!(ask_holder(&name), Ok(None)));
    }

    #[test]
    fn a_second_claim_in_the_same_process_is_secondary_and_the_name_frees_on_drop() {
        let name = unique("drop");
        let (tx, rx) = std::sync::mpsc::channel();
        let Ok(Claim::Primary(primary)) = claim(&name, channel_callback(tx, || {})) else {
            panic!("first claim is not primary");
        };
        primary.set_port(Some("/dev/ttyUSB3".into()));
        let Ok(Claim::Secondary(second)) = claim(&name, |_| true) else {
            panic!("second claim is not secondary");
        };
        assert_eq!(second.raise().ok(), Some(std::process::id()));
        assert_eq!(rx.recv_timeout(IO_TIMEOUT).ok(), Some(Request::Raise));
        let holder = ask_holder(&name).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(holder.and_then(|h| h.port), Some("/dev/ttyUSB3".into()));
        drop(primary);
        assert!(matches!(claim(&name, |_| true), Ok(Claim::Primary(_))));
    }

    #[test]
    fn a_window_going_away_is_refused_not_hung() {
        let name = unique("gone");
        let Ok(Claim::Primary(_primary)) = claim(&name, |_| false) else {
            panic!("first claim is not primary");
        };
        let second = Secondary { name: name.clone() };
        assert!(matches!(second.raise(), Err(InstanceError::Refused { .. })));
    }

    #[test]
    fn garbage_gets_an_error_reply_and_the_listener_keeps_going() {
        let name = unique("garbage");
        let Ok(Claim::Primary(_primary)) = claim(&name, |_| true) else {
            panic!("first claim is not primary");
        };
        let addr = name.addr().unwrap_or_else(|e| panic!("{e}"));
        let stream = UnixStream::connect_addr(&addr).unwrap_or_else(|e| panic!("{e}"));
        write_line(&stream, &"hello").unwrap_or_else(|e| panic!("{e}"));
        let mut line = String::new();
        BufReader::new(&stream)
            .read_line(&mut line)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(line.contains(r#""reply":"error""#), "{line}");
        let second = Secondary { name };
        assert!(second.holder().is_ok());
    }
}
