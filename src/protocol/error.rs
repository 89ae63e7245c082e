//! Everything that can be wrong with a line or a stream — counted, optionally reported, never fatal.

/// A problem found while decoding. The decoder counts each one in
/// [`DecoderStats`](super::DecoderStats), keeps the latest in
/// [`Decoder::last_error`](super::Decoder::last_error), hands it to
/// [`Decoder::push_events`](super::Decoder::push_events), and carries on with the next line.
///
/// The first group rejects the line (no frame). The stream anomalies
/// ([`SequenceGap`](Self::SequenceGap), [`SequenceReset`](Self::SequenceReset),
/// [`TimeJump`](Self::TimeJump)) are reported *and* the sample frame is still delivered;
/// [`UnitsUnrecognised`](Self::UnitsUnrecognised) is about the stream too (its lines were
/// fine), counted in `units_unrecognised` rather than as malformed lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The CRC computed over the line (`expected`) differs from the one printed on it (`found`).
    #[error("checksum mismatch: computed {expected:04X}, line says {found:04X}")]
    ChecksumMismatch {
        /// CRC-16/CCITT-FALSE computed over the bytes between `$` and `*`.
        expected: u16,
        /// Value of the four hex digits after `*`.
        found: u16,
    },
    /// A line (or `$` record) exceeded the maximum length and was dropped up to its end.
    #[error("line of {len} bytes exceeds the {max}-byte limit; dropped")]
    LineTooLong {
        /// Bytes seen before the line ended (saturates at `usize::MAX`).
        len: usize,
        /// The limit, [`MAX_LINE_LEN`](super::MAX_LINE_LEN).
        max: usize,
    },
    /// A `$` line that does not start with `$SW1,` (another protocol or version).
    #[error("line starts with `$` but not with `$SW1,` (unsupported protocol or version)")]
    UnsupportedVersion,
    /// A line ending in `*hhhh` without a `$` start: the tail of a protocol line whose beginning
    /// was lost (typically the first line after the port opens).
    #[error("protocol line without its `$` start")]
    MissingStart,
    /// A plain sample line (no checksum) from a device that has sent checksum-valid `$SW1`
    /// records: a protocol device sends only checksummed samples, so this is line noise that
    /// happens to read as numbers, and is dropped rather than taken as a sample.
    #[error("plain sample line in a checksummed `$SW1` stream (line noise)")]
    UncheckedLine,
    /// Plain samples arrive but their units could not be recognised: gravity at rest reads
    /// `gravity_milli / 1000` in the printed unit, which is none of g, m/s² or raw counts at the
    /// usual scales. The `dropped` samples held while recognising are dropped, not misread.
    #[error(
        "units not recognised (gravity at rest reads {}.{:03}: not g, m/s^2 or raw counts); \
         {dropped} samples dropped",
        .gravity_milli / 1000,
        .gravity_milli % 1000
    )]
    UnitsUnrecognised {
        /// Median acceleration magnitude over the held samples, printed unit, × 1000.
        gravity_milli: u64,
        /// Samples dropped.
        dropped: u32,
    },
    /// A `$SW1` line with no `*` checksum separator.
    #[error("`$SW1` line has no `*` checksum")]
    MissingChecksum,
    /// The text after `*` is not exactly four hex digits.
    #[error("checksum field is not exactly four hex digits")]
    BadChecksumField,
    /// Wrong number of fields for the record or plain format.
    #[error("{record} has {found} fields, expected {expected}")]
    FieldCount {
        /// Record or format name (`sample`, `command`, `plain`, ...).
        record: &'static str,
        /// Field count the format requires (the smallest accepted, for formats with two counts).
        expected: usize,
        /// Field count on the line (saturating).
        found: usize,
    },
    /// A field that should be a number is not one.
    #[error("field `{field}` is not a valid number")]
    BadNumber {
        /// Field name as in `firmware-protocol.md`.
        field: &'static str,
    },
    /// A number outside the limits in `firmware-protocol.md`.
    #[error("field `{field}` is outside its limits")]
    OutOfRange {
        /// Field name as in `firmware-protocol.md`.
        field: &'static str,
    },
    /// A text field with forbidden characters, empty, or longer than 32 bytes; a key without `=`;
    /// or (field `line`) a non-protocol line containing bytes other than printable ASCII and tab.
    #[error("field `{field}` is not a valid token")]
    BadToken {
        /// Field name as in `firmware-protocol.md`.
        field: &'static str,
    },
    /// A required identity key is absent.
    #[error("identity line lacks `{field}`")]
    MissingField {
        /// Key name.
        field: &'static str,
    },
    /// A command or ack names a command this protocol version does not define.
    #[error("unknown command name")]
    UnknownCommand,
    /// Sequence numbers skipped: `dropped` samples were lost (line noise, buffer overrun).
    #[error("sequence gap: expected {expected}, got {found} ({dropped} samples missing)")]
    SequenceGap {
        /// The sequence number that should have come next.
        expected: u32,
        /// The one that came.
        found: u32,
        /// How many were skipped (`found - expected`, modulo 2^32).
        dropped: u32,
    },
    /// The sequence went backwards or repeated (device reset, or a replayed line).
    #[error("sequence restarted: {previous} then {found}")]
    SequenceReset {
        /// Last sequence number before the reset.
        previous: u32,
        /// The one that came.
        found: u32,
    },
    /// Device time moved backwards (not a rollover) or forward far more than the sequence implies.
    #[error("device time jump of {step_us} us where about {expected_us} us was expected")]
    TimeJump {
        /// The step the line's timestamp implies, in microseconds (negative = backwards).
        step_us: i64,
        /// The step the sequence gap and nominal rate imply, in microseconds.
        expected_us: u64,
    },
}

impl DecodeError {
    /// `true` for stream anomalies reported alongside a delivered frame; `false` for errors
    /// that rejected the line.
    pub fn is_anomaly(&self) -> bool {
        matches!(
            self,
            DecodeError::SequenceGap { .. }
                | DecodeError::SequenceReset { .. }
                | DecodeError::TimeJump { .. }
                | DecodeError::UnitsUnrecognised { .. }
        )
    }
}
