import CCrashGuard
import Foundation
import Planner

/// Keeps a poison event from turning a checkpointed job into a crash loop: an event that crashes
/// the job twice, the same event both times, is dead-lettered (reason `poison`), counted as
/// malformed and skipped on the next start.
///
/// Before each batch the run arms a crash record: the input and the read position the batch
/// starts at. A fatal signal (a trap, a bad access, a stack overflow) writes it to
/// `STATE/in-flight` through a C handler, then lets the process die as before. A start that finds
/// a record reads from that position one event at a time, for one batch's worth of events, each
/// event armed as its own record. If one of them crashes the job again, the record names it, and
/// the next start skips that one event without decoding it. A crash that does not repeat costs
/// one slower stretch and skips nothing.
///
/// A file input that reads ahead decodes its next batches on threads of their own (lanes); each
/// lane arms a record of its own (the batch it decodes), and the handler writes the record of the
/// thread that crashed. The run after a crash reads on the run's thread only.
///
/// A source whose records have names of their own (Kafka: topic, partition and offset,
/// ``NamedRecordSource``) is not replayed in the same batches: the run after a crash reads the
/// records that may have been in the crashed batch (per partition, the batch size from where that
/// partition stood) one per batch, each armed by its name before it is decoded, and the next start
/// skips the record named, wherever it falls.
///
/// Replays from a checkpoint read the same batches (file inputs are read deterministically), so
/// the recorded position is met again. Checkpoints are not taken while events are being read one
/// at a time, so the replay starts before the recorded position. Sources that cannot skip one
/// record (``RecordSkipping``) are isolated but never skipped. Signal handlers are per process, so
/// one checkpointed job per process is guarded (the CLI runs one); others in the same process run
/// unguarded.
final class PoisonGuard: @unchecked Sendable {
    /// What the last crash left behind.
    struct Record: Equatable {
        var input: String
        /// Where the batch that crashed started (the one-at-a-time stretch starts there).
        var batchStart: [UInt8]
        /// Where the single event that crashed started, when the crash came in that stretch.
        var event: [UInt8]?
        var signal: Int32 = 0
    }

    private let path: String
    /// False when another job in this process holds the crash handler: this one then runs unguarded.
    private let active: Bool
    private var suspect: Record?
    /// The input being read one event at a time, from which batch start, and how many events are left.
    private var isolating: (input: String, batchStart: [UInt8], left: Int)?

    /// Reads what a crash left in `directory` and installs the crash handler for this run.
    init(directory: String) throws {
        path = directory + "/in-flight"
        // A damaged or absent record only means no isolation: it never changes what is processed.
        let left = FileManager.default.contents(atPath: path)
        switch saql_crash_guard_install(path) {
        case 0: active = true
        case 1: active = false; return
        default: throw StateError("cannot create '\(path)': \(String(cString: strerror(errno)))")
        }
        if let left { suspect = Self.decode(Array(left)) }
    }

    deinit { if active { saql_crash_guard_uninstall() } }

    /// True when the last run crashed. The run after a crash does not read ahead: a read-ahead
    /// thread would decode the suspect batch again before the one-at-a-time stretch reaches it.
    var hasSuspect: Bool { suspect != nil }

    /// True while events are read one at a time: checkpoints wait until the stretch is past.
    var isIsolating: Bool { isolating != nil }

    /// What the run does next with an input.
    enum Read: Equatable {
        /// Read a batch of up to this many rows.
        case rows(Int)
        /// Skip the next record: it crashed the job twice, the last time with this signal.
        case skip(signal: Int32)
    }

    /// What the run does before reading from `input` at `position`; arms the crash record for the read.
    func plan(input: String, position: [UInt8], batchSize: Int) -> Read {
        guard active else { return .rows(batchSize) }
        if let s = suspect, s.input == input {
            if s.batchStart == position { isolating = (input, position, batchSize) }
            if s.event == position {
                suspect = nil
                return .skip(signal: s.signal)
            }
        }
        guard let iso = isolating, iso.input == input else {
            arm(Record(input: input, batchStart: position))
            return .rows(batchSize)
        }
        isolating = iso.left > 1 ? (input, iso.batchStart, iso.left - 1) : nil
        arm(Record(input: input, batchStart: iso.batchStart, event: position))
        return .rows(1)
    }

    /// The read armed by ``plan(input:position:batchSize:)`` and its processing are done.
    func disarm() { if active { saql_crash_guard_disarm() } }

    /// Why a skipped event was skipped, for its dead letter and the row-error line.
    static func skipDetail(signal: Int32) -> String {
        let name = [SIGSEGV: "SIGSEGV", SIGBUS: "SIGBUS", SIGILL: "SIGILL", SIGTRAP: "SIGTRAP", SIGFPE: "SIGFPE", SIGABRT: "SIGABRT"][signal]
        return "the job crashed twice on this event (\(name ?? "signal \(signal)")); it was skipped so that the job goes on"
    }

    /// Inputs whose named-record source has been handed the last crash.
    private var watched: Set<String> = []

    /// Like ``plan(input:position:batchSize:)`` for a source that names its records: hands it the
    /// last crash the first time, arms the batch's crash record, and returns how many rows to read
    /// (one while a record of the crashed batch may come next).
    func plan(named source: any NamedRecordSource, batchSize: Int) -> Int {
        guard active else { return batchSize }
        if watched.insert(source.input).inserted, let s = suspect, s.input == source.input {
            source.watch(self, crashed: s, batchSize: batchSize)
        }
        arm(Record(input: source.input, batchStart: source.position))
        return source.isIsolating ? 1 : batchSize
    }

    /// Arms the crash record of one named record, read by itself: a crash while it is decoded or
    /// processed names it. `crashed` is the record of the crash being isolated.
    func arm(named name: String, crashed: Record) {
        guard active else { return }
        arm(Record(input: crashed.input, batchStart: crashed.batchStart, event: Array(name.utf8)))
    }

    /// Counts and dead-letters an event the guard skipped.
    static func report(raw: [UInt8], position: String, input: String, signal: Int32, context: RuntimeContext) {
        let detail = skipDetail(signal: signal)
        context.counters.malformedEvents += 1
        context.onRowError?("\(position): event skipped: \(detail)")
        context.deadLetter?(DeadLetter(reason: .poison, input: input, detail: detail,
                                       event: Planner.Record(names: ["raw"], values: [.string(String(decoding: raw, as: UTF8.self))]),
                                       arrivalTime: nil, watermark: nil, originalTime: nil, adjustedTime: nil, position: position))
    }

    /// Arms the record a crash of the calling read-ahead thread writes: it was decoding the batch
    /// that starts at `batchStart`. Called on that thread.
    func armReader(lane: Int, input: String, batchStart: [UInt8]) {
        guard active else { return }
        Self.encode(Record(input: input, batchStart: batchStart)).withUnsafeBufferPointer {
            saql_crash_guard_arm_reader(Int32(lane), $0.baseAddress, $0.count)
        }
    }

    /// Lane `lane`'s batch is decoded.
    func disarmReader(lane: Int) { if active { saql_crash_guard_disarm_reader(Int32(lane)) } }

    private func arm(_ r: Record) {
        Self.encode(r).withUnsafeBufferPointer { saql_crash_guard_arm($0.baseAddress, $0.count) }
    }

    private static func encode(_ r: Record) -> [UInt8] {
        var w = StateWriter()
        w.write(UInt64(0x5341_514C_5053_4E31))  // "SAQLPSN1"
        w.write(r.input)
        w.write(bytes: r.batchStart)
        w.write(r.event != nil)
        w.write(bytes: r.event ?? [])
        return w.bytes
    }

    /// A record as the handler wrote it: the armed bytes, then the signal number (4 bytes).
    static func decode(_ bytes: [UInt8]) -> Record? {
        guard bytes.count > 12 else { return nil }
        var r = StateReader(bytes: Array(bytes.dropLast(4)))
        guard (try? r.readUInt64()) == 0x5341_514C_5053_4E31,
              let input = try? r.readString(), let start = try? r.readBytes(),
              let single = try? r.readBool(), let event = try? r.readBytes() else { return nil }
        let tail = bytes.suffix(4).enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
        return Record(input: input, batchStart: start, event: single ? event : nil, signal: Int32(bitPattern: tail))
    }
}

/// A source whose records carry names of their own (Kafka: `topic[partition]@offset`), so that the
/// poison-event guard isolates and skips a record by its name wherever a restart's batches put it.
protocol NamedRecordSource: EventSource {
    /// Hands the source the last crash on its input: from now on it arms each record that may have
    /// been in the crashed batch by name (``PoisonGuard/arm(named:crashed:)``) before decoding it,
    /// and passes over the record the crash named, reporting it (``PoisonGuard/report``).
    func watch(_ guard: PoisonGuard, crashed: PoisonGuard.Record, batchSize: Int)
    /// True while a record of the crashed batch may come next: the run reads one record per batch.
    var isIsolating: Bool { get }
}

/// A source that can pass over its next record without decoding it (the poison-event guard).
protocol RecordSkipping: EventSource {
    /// Skips the next record; returns its raw bytes (possibly cut short) and where it was, or nil at the end.
    func skipRecord() throws -> (raw: [UInt8], position: String)?
}
