import Foundation
import Planner

/// Everything a job needs to continue after a restart, taken between batches: each stateful
/// operator's state, each operator's output watermark, each input's read position and each
/// output's written position, and the run's counters.
package struct Checkpoint: Sendable {
    /// Identifies the plan the checkpoint belongs to; another plan's checkpoint is refused.
    package var fingerprint: UInt64
    /// Stateful operators' state by plan node id, with the state version it was written with.
    package var operators: [Int: (version: Int, state: [UInt8])] = [:]
    /// Each node's last forwarded watermark.
    package var watermarks: [Int: Int64] = [:]
    /// Each input's position (source-specific bytes), and where the run loop had got to in time.
    package var inputs: [String: (position: [UInt8], clock: Int64, ended: Bool)] = [:]
    /// Each output's written position (sink-specific bytes).
    package var outputs: [String: [UInt8]] = [:]
    package var counters: [UInt8] = []
    package var processingTime = Int64.min

    /// The encoding's own version (the layout below): the format, a checksum of the rest, the rest.
    static let format = 2

    package init(fingerprint: UInt64) { self.fingerprint = fingerprint }

    package func encoded() -> [UInt8] {
        var w = StateWriter()
        w.write(fingerprint)
        w.write(processingTime)
        w.write(operators.count)
        for (id, s) in operators.sorted(by: { $0.key < $1.key }) {
            w.write(id)
            w.write(s.version)
            w.write(bytes: s.state)
        }
        w.write(watermarks.count)
        for (id, t) in watermarks.sorted(by: { $0.key < $1.key }) {
            w.write(id)
            w.write(t)
        }
        w.write(inputs.count)
        for (name, i) in inputs.sorted(by: { $0.key < $1.key }) {
            w.write(name)
            w.write(bytes: i.position)
            w.write(i.clock)
            w.write(i.ended)
        }
        w.write(outputs.count)
        for (name, o) in outputs.sorted(by: { $0.key < $1.key }) {
            w.write(name)
            w.write(bytes: o)
        }
        w.write(bytes: counters)
        var envelope = StateWriter()
        envelope.write(Self.format)
        envelope.write(Self.checksum(w.bytes[...]))
        return envelope.bytes + w.bytes
    }

    /// FNV-1a over the payload: a bit flipped on disk is found before any state is read.
    static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes {
            h ^= UInt64(b)
            h = h &* 0x100_0000_01b3
        }
        return h
    }

    /// Reads an encoded checkpoint; throws a ``StateError`` naming what is wrong for damaged or
    /// foreign bytes.
    package init(decoding bytes: [UInt8]) throws(StateError) {
        var head = StateReader(bytes: Array(bytes.prefix(16)))
        let format = try head.readInt()
        guard format == Self.format else {
            throw StateError("the checkpoint has format \(format); this saql reads format \(Self.format)", kind: .incompatible)
        }
        guard try head.readUInt64() == Self.checksum(bytes.dropFirst(16)) else {
            throw StateError("the checkpoint is damaged: its checksum does not match its contents")
        }
        var r = StateReader(bytes: Array(bytes.dropFirst(16)))
        fingerprint = try r.readUInt64()
        processingTime = try r.readInt64()
        for _ in 0..<(try r.readCount()) {
            let id = try r.readInt()
            operators[id] = (try r.readInt(), try r.readBytes())
        }
        for _ in 0..<(try r.readCount()) { watermarks[try r.readInt()] = try r.readInt64() }
        for _ in 0..<(try r.readCount()) {
            let name = try r.readString()
            inputs[name] = (try r.readBytes(), try r.readInt64(), try r.readBool())
        }
        for _ in 0..<(try r.readCount()) {
            let name = try r.readString()
            outputs[name] = try r.readBytes()
        }
        counters = try r.readBytes()
        guard r.isAtEnd else { throw StateError("the checkpoint has \(r.remaining) bytes after its end") }
    }
}

