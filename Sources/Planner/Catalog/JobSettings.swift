import SAQLParser

/// What happens to an event outside the out-of-order or late-arrival tolerance.
package enum EventOrderingPolicy: String, Hashable, Sendable, Encodable {
    /// The event's timestamp moves to the earliest acceptable time; its payload is unchanged.
    case adjust
    /// The event is dropped (and counted, and dead-lettered when a dead-letter output exists).
    case drop
}

/// What happens to an output row that cannot be written (ASA's output error policy).
package enum OutputErrorPolicy: String, Hashable, Sendable {
    /// Write it again, with capped backoff, until it succeeds; the job waits meanwhile (ASA's default).
    case retry
    /// Count it (and dead-letter it when a dead-letter output exists), then go on.
    case drop
}

/// Job-wide settings from `SET key = 'value'` statements, with ASA's defaults.
package struct JobSettings: Hashable, Sendable {
    package var outOfOrderTolerance: TimeSpan = .zero
    package var outOfOrderPolicy: EventOrderingPolicy = .adjust
    /// `nil` means ASA's `-1`: wait indefinitely, never adjust for lateness.
    package var lateArrivalTolerance: TimeSpan? = .seconds(5)
    package var compatibilityLevel: CompatibilityLevel = .v1_2
    /// How long a partition of a partitioned input (Kafka) may go without records before it stops
    /// holding the input's time back.
    package var partitionIdleTimeout: TimeSpan = .seconds(5)
    package var outputErrorPolicy: OutputErrorPolicy = .retry
    /// Where checkpoints are kept (`saql run --state` overrides it); none: no checkpoints.
    package var checkpointDirectory: String?
    package var checkpointInterval: TimeSpan = .seconds(10)
    /// How long one call of a user function may run before the job stops with an error naming it.
    package var udfTimeout: TimeSpan = .seconds(1)
    /// The memory the job may use before it stops with an error naming the operator that holds
    /// most; nil: 90 % of the memory available (cgroup limit or the machine's).
    package var maxState: Int64?

    /// `SET replay`: file inputs are read at this many times the pace of their event times
    /// (1 for `'realtime'`); nil reads them as fast as possible.
    package var replaySpeed: Double?

    package init() {}

    /// Every key `SET` accepts, with a one-line description for diagnostics and `--help`.
    package static let keys: [(key: String, help: String)] = [
        ("out_of_order_tolerance", "how long events are buffered to reorder them, e.g. '8s' (default '0s')"),
        ("out_of_order_policy", "'adjust' or 'drop' for events beyond the tolerances (default 'adjust')"),
        ("late_arrival_tolerance", "how late an event may arrive relative to its arrival time (default '5s'; '-1' waits forever)"),
        ("compatibility_level", "ASA compatibility level: '1.0', '1.1' or '1.2' (default '1.2')"),
        ("partition_idle_timeout", "wall-clock time after which a silent Kafka partition stops holding time back (default '5s')"),
        ("checkpoint_dir", "directory for checkpoints (relative to the job file); the run resumes from the latest one"),
        ("checkpoint_interval", "wall-clock time between checkpoints (default '10s')"),
        ("output_error_policy", "'retry' (default: wait and write again) or 'drop' (count and go on) for rows an output rejects"),
        ("udf_timeout", "how long one call of a JavaScript function may run before the job stops (default '1s')"),
        ("replay", "'realtime' or 'Nx' (such as '10x'): read file inputs at the pace of their event times, for demos (default: as fast as possible)"),
        ("max_state", "memory the job may use before it stops with an error naming the operator holding most, e.g. '2GB' (default: 90% of the memory available)"),
    ]
}

/// ASA compatibility levels; they change how JSON booleans and field-name case are read.
package enum CompatibilityLevel: String, Hashable, Sendable, Comparable {
    case v1_0 = "1.0", v1_1 = "1.1", v1_2 = "1.2"

    package static func < (a: CompatibilityLevel, b: CompatibilityLevel) -> Bool { a.rawValue < b.rawValue }
}
