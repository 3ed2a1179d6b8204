import Planner

/// Per-port watermarks and end-of-input for operators with several inputs: the combined watermark is
/// the minimum over ports that have not ended.
struct PortClock {
    private var marks: [Int64]
    private var ended: [Bool]

    init(ports: Int) {
        marks = Array(repeating: .min, count: max(ports, 1))
        ended = Array(repeating: false, count: max(ports, 1))
    }

    /// Records a port's watermark; returns the combined watermark.
    mutating func advance(_ port: Int, to w: Watermark) -> Watermark {
        marks[port] = max(marks[port], w.time)
        return combined
    }

    /// Marks a port ended; returns true once every port has ended.
    mutating func end(_ port: Int) -> Bool {
        ended[port] = true
        marks[port] = .max
        return ended.allSatisfy { $0 }
    }

    var combined: Watermark { Watermark(marks.min() ?? .min) }

    func save(into w: inout StateWriter) {
        w.write(marks)
        w.write(ended.map { $0 ? Int64(1) : 0 })
    }

    mutating func restore(from r: inout StateReader) throws(StateError) {
        let m = try r.readTimes(), e = try r.readInt64s()
        guard m.count == marks.count, e.count == ended.count else {
            throw StateError("checkpoint does not match the job: port count", kind: .incompatible)
        }
        marks = m
        ended = e.map { $0 != 0 }
    }
}
