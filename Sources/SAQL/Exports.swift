// The value types an embedder needs, from the planner, re-exported one by one: `import SAQL` is
// enough, and nothing else of the lower modules becomes visible.
@_exported import enum Planner.DataType
@_exported import struct Planner.Record
@_exported import struct Planner.RecordFieldType
@_exported import struct Planner.Timestamp
@_exported import enum Planner.Value

// Operators on re-exported types are not found through a scoped import, so the embedding API's
// time arithmetic (with the standard library's Duration) is declared here.

/// The instant `d` later (earlier, for a negative duration), to the 100-ns tick; saturates at
/// `Timestamp.min` and `Timestamp.max`.
public func + (t: Timestamp, d: Duration) -> Timestamp {
    let (seconds, attoseconds) = d.components
    let ticks = seconds.multipliedReportingOverflow(by: Timestamp.ticksPerSecond)
    guard !ticks.overflow else { return seconds < 0 ? .min : .max }
    let (span, o1) = ticks.partialValue.addingReportingOverflow(attoseconds / 100_000_000_000)
    let (sum, o2) = t.ticks.addingReportingOverflow(span)
    return o1 || o2 ? (seconds < 0 ? .min : .max) : Timestamp(ticks: sum)
}

/// The instant `d` earlier.
public func - (t: Timestamp, d: Duration) -> Timestamp { t + (.zero - d) }
